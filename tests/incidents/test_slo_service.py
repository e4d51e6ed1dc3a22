"""The SLO service: execute events in, /metrics series and alert changes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from symphony.clock import FixedClock
from symphony.incidents.slo import SloEvaluator
from symphony.incidents.slo_service import SloService
from symphony.metrics.registry import Metrics
from symphony.policy.model import BurnWindow, SloScope, SloSpec

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WINDOWS = (BurnWindow("page", timedelta(seconds=60), timedelta(seconds=10), 5.0),)
LATENCY = SloSpec(
    "lat", "latency", 0.9, timedelta(hours=1), WINDOWS, threshold_ms=1000, scope=SloScope()
)
UP = SloSpec("up", "availability", 0.9, timedelta(hours=1), WINDOWS)


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_slo_series_exist_at_zero_before_traffic() -> None:
    metrics = Metrics()
    SloService(SloEvaluator([LATENCY, UP]), metrics.slo, FixedClock(T0))
    got = samples(metrics)
    for slo in ("lat", "up"):
        for result in ("good", "bad"):
            assert got[("symphony_slo_events_total", (("result", result), ("slo", slo)))] == 0
    assert got[("symphony_slo_objective_ratio", (("slo", "up"),))] == 0.9


def test_events_count_per_slo_and_tick_exports_gauges_and_alerts() -> None:
    metrics = Metrics()
    clock = FixedClock(T0)
    service = SloService(SloEvaluator([LATENCY, UP]), metrics.slo, clock)
    for _ in range(10):
        clock.advance(timedelta(seconds=1))
        payload = {"model": "m", "rule": "qa", "latency_ms": 1500.0, "ok": True}
        assert service.consume("route.execute", payload, clock.now())
    failed = {
        "route": "/route/execute",
        "code": "all_candidates_failed",
        "model": "m",
        "rule": "qa",
        "latency_ms": 20.0,
    }
    assert service.consume("error", failed, clock.now())
    assert not service.consume("error", {"route": "/route/plan", "code": "x"}, clock.now())
    assert not service.consume("route.plan", {}, clock.now())
    alerts = service.tick()
    assert [(a.slo, a.severity, a.state) for a in alerts] == [("lat", "page", "firing")]
    got = samples(metrics)
    assert got[("symphony_slo_events_total", (("result", "bad"), ("slo", "lat")))] == 10
    assert got[("symphony_slo_events_total", (("result", "bad"), ("slo", "up")))] == 1
    assert got[("symphony_slo_events_total", (("result", "good"), ("slo", "up")))] == 10
    assert got[("symphony_slo_status", (("slo", "lat"),))] == 2
    assert got[("symphony_slo_status", (("slo", "up"),))] == 0
    assert got[("symphony_slo_burn_rate", (("slo", "lat"), ("window", "10s")))] == 10.0
    assert got[("symphony_slo_error_budget_remaining_ratio", (("slo", "lat"),))] == -9.0


def test_reload_drops_removed_slo_gauges_and_resolves_its_alert() -> None:
    metrics = Metrics()
    clock = FixedClock(T0)
    service = SloService(SloEvaluator([LATENCY, UP]), metrics.slo, clock)
    service.on_execute("m", None, 5000, True, clock.now())
    assert [a.state for a in service.tick()] == ["firing"]
    service.apply([UP])
    assert [(a.slo, a.state) for a in service.tick()] == [("lat", "resolved")]
    got = samples(metrics)
    assert ("symphony_slo_status", (("slo", "lat"),)) not in got
    assert ("symphony_slo_objective_ratio", (("slo", "up"),)) in got


def test_execute_counter_labels() -> None:
    metrics = Metrics()
    metrics.slo.count_execute("local/ollama", None, True)
    metrics.slo.count_execute(None, "qa", False)
    got = samples(metrics)
    key_ok = (("model", "local/ollama"), ("outcome", "ok"), ("rule", "none"))
    key_err = (("model", "none"), ("outcome", "error"), ("rule", "qa"))
    assert got[("symphony_execute_total", key_ok)] == 1
    assert got[("symphony_execute_total", key_err)] == 1
