"""Every Prometheus metric Symphony exports, on one registry built by the app."""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client import platform_collector as _platform
from prometheus_client import process_collector as _process

from symphony.metrics.slo import SloMetrics

# Sub-second through 120 s, with a bucket at each SLO threshold (1 s, 2.5 s, 6 s = the
# default policy's max_sla_ms, 30 s).
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    6.0,
    10.0,
    30.0,
    60.0,
    120.0,
)
PLAN_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)


class Metrics:
    """Labels are closed sets: model names from policy, tenants, codes; never user text."""

    def __init__(self) -> None:
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        r = self.registry = CollectorRegistry(auto_describe=True)
        _process.ProcessCollector(registry=r)
        _platform.PlatformCollector(registry=r)
        self.execute_latency = Histogram(
            "symphony_route_execute_latency_seconds",
            "End-to-end execute latency",
            ["model", "tenant"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "symphony_route_execute_ttft_seconds",
            "Time to first streamed token",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.plan_latency = Histogram(
            "symphony_route_plan_latency_seconds",
            "Planner decision time",
            buckets=PLAN_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "symphony_tokens_total",
            "Tokens by model, tenant and type (prompt|completion)",
            ["model", "tenant", "type"],
            registry=r,
        )
        self.cost = Counter(
            "symphony_cost_usd_total",
            "Spend in USD by model and tenant",
            ["model", "tenant"],
            registry=r,
        )
        self.decisions = Counter(
            "symphony_route_decisions_total",
            "Routing decisions by chosen model and reason",
            ["model", "reason"],
            registry=r,
        )
        self.attempts = Counter(
            "symphony_upstream_attempts_total",
            "Upstream attempts by model and outcome",
            ["model", "outcome"],
            registry=r,
        )
        self.budget_fraction = Gauge(
            "symphony_budget_fraction_used",
            "Fraction of the model's window used (0-1)",
            ["model"],
            registry=r,
        )
        self.power_window = Gauge(
            "symphony_power_window_open",
            "1 while a power window is open",
            ["model"],
            registry=r,
        )
        self.remaining_fraction = Gauge(
            "symphony_window_remaining_fraction",
            "Remaining fraction of the window (0-1)",
            ["model"],
            registry=r,
        )
        self.errors = Counter(
            "symphony_errors_total",
            "Errors by route and code",
            ["route", "code"],
            registry=r,
        )
        self.policy_reload = Counter(
            "symphony_policy_reload_total",
            "Policy reloads by result (ok|rejected)",
            ["result"],
            registry=r,
        )
        self.policy_info = Info("symphony_policy", "Loaded policy version", registry=r)
        self.rate_limited = Counter(
            "symphony_rate_limited_total",
            "Requests refused by Symphony's own rate limiter",
            ["scope"],
            registry=r,
        )
        self.events_dropped = Gauge(
            "symphony_events_dropped_subscribers",
            "SSE subscribers dropped for falling behind",
            registry=r,
        )
        self.sse_subscribers = Gauge(
            "symphony_events_subscribers",
            "Open SSE subscriptions",
            registry=r,
        )
        for result in ("ok", "rejected"):
            self.policy_reload.labels(result)
        self.slo = SloMetrics(r)  # executes by outcome, SLO events, incidents

    def child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, cached: label sets are closed (policy model names,
        tenants, fixed codes), and prometheus_client's `labels()` takes a lock and builds
        tuples on every call, which adds up on the hot path."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def set_policy_version(self, version: str) -> None:
        self.policy_info.info({"version": version})

    def render(self) -> bytes:
        return generate_latest(self.registry)
