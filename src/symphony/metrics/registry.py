"""Every Prometheus metric Symphony exports, on one registry built by the app."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

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
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from symphony.metrics.slo import SloMetrics
from symphony.metrics.web import WebMetrics

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
# The kill switch's scopes (governance/killswitch.py KILL_SCOPES; metrics sits below it).
KILL_SCOPES = ("all", "tenant", "provider", "model")


class WriteCounts(Protocol):
    """What `watch_store` reads: a store writer's count of failed transactions."""

    @property
    def failed_commits(self) -> int: ...


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
        self.policy_reload_ok = Gauge(
            "symphony_policy_last_reload_successful",
            "1 when the last policy reload was applied or unchanged, 0 while the file on disk"
            " is rejected (the last good policy stays active)",
            registry=r,
        )
        self.window_reset = Gauge(
            "symphony_window_reset_timestamp_seconds",
            "Unix time at which the model's binding window next resets",
            ["model"],
            registry=r,
        )
        self.retries = Counter(
            "symphony_upstream_retries_total",
            "Retries of the same model after a retryable upstream error, by error kind",
            ["model", "reason"],
            registry=r,
        )
        self.jobs = Gauge(
            "symphony_jobs", "Jobs in the power-window queue, by state", ["state"], registry=r
        )
        self.jobs_queued = Gauge(
            "symphony_jobs_queued",
            "Queued jobs per model (planned for a next_window job, else the model of its last"
            " run; 'unplanned' before either)",
            ["model"],
            registry=r,
        )
        self.job_wait = Histogram(
            "symphony_job_wait_seconds",
            "How long a due job waited for a worker (start - next_run_at)",
            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0),
            registry=r,
        )
        self.job_runs = Counter(
            "symphony_job_runs_total",
            "Job runs by outcome (done, retry, failed, dead, interrupted, deferred; paced: handed"
            " back unrun to its slot in the model's drain rate)",
            ["outcome"],
            registry=r,
        )
        self.tenant_budget = Gauge(
            "symphony_tenant_budget_fraction_used",
            "Share of a tenant budget line spent this period (budget: tenant:daily:usd,"
            " provider:openai:monthly:tokens, ...)",
            ["tenant", "budget"],
            registry=r,
        )
        self.policy_reload_ok.set(1)
        for result in ("ok", "rejected"):
            self.policy_reload.labels(result)
        self._scrape = _ScrapeCollector()
        r.register(self._scrape)
        self.slo = SloMetrics(r)  # executes by outcome, SLO events, incidents
        self.web = WebMetrics(r)  # ingest outcomes, corpus and source staleness

    def child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, cached: label sets are closed (policy model names,
        tenants, fixed codes), and prometheus_client's `labels()` takes a lock and builds
        tuples on every call, which adds up on the hot path."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def watch_store(self, store: str, writer: WriteCounts) -> None:
        """Export `writer.failed_commits` as symphony_store_write_errors_total{store}."""
        self._scrape.stores[store] = writer

    def watch_kills(self, active_scopes: Callable[[], Iterable[str]]) -> None:
        """Export the active kills (one scope per kill) as symphony_killswitch_active_kills."""
        self._scrape.kills = active_scopes

    def set_policy_version(self, version: str) -> None:
        self.policy_info.info({"version": version})

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ScrapeCollector(Collector):
    """Values read at scrape time from the services that own them (nothing on the hot path)."""

    def __init__(self) -> None:
        self.stores: dict[str, WriteCounts] = {}
        self.kills: Callable[[], Iterable[str]] | None = None

    def describe(self) -> Iterable[Metric]:
        return list(self._families({}, None))

    def collect(self) -> Iterable[Metric]:
        failures = {name: writer.failed_commits for name, writer in self.stores.items()}
        scopes = list(self.kills()) if self.kills is not None else None
        return list(self._families(failures, scopes))

    def _families(self, failures: dict[str, int], scopes: list[str] | None) -> Iterator[Metric]:
        errors = CounterMetricFamily(
            "symphony_store_write_errors",
            "Failed write transactions (group commits) by store (ledger|audit)",
            labels=["store"],
        )
        for name, count in sorted(failures.items()):
            errors.add_metric([name], float(count))
        yield errors
        kills = GaugeMetricFamily(
            "symphony_killswitch_active_kills",
            "Active kill switch entries by scope (all|tenant|provider|model); 0 when none",
            labels=["scope"],
        )
        if scopes is not None:
            for scope in KILL_SCOPES:
                kills.add_metric([scope], float(scopes.count(scope)))
        yield kills
