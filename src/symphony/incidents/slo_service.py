"""The SLO service: feeds the evaluator from execute events, exports metrics, emits alerts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from symphony.clock import Clock
from symphony.incidents.slo import SloAlert, SloEvaluator, SloStatus
from symphony.metrics.slo import SLO_STATUS_VALUE, SloMetrics
from symphony.policy.model import SloSpec
from symphony.windows.specs import format_duration

log = logging.getLogger(__name__)

AlertSink = Callable[[SloAlert], Awaitable[None]]


def _labels(spec: SloSpec) -> list[str]:
    return sorted({format_duration(d) for w in spec.windows for d in (w.long, w.short)})


class SloService:
    """Holds one evaluator for the running policy. Wire `on_execute` (or `consume`) to the
    execute events, call `apply` on every policy reload, and run `run(...)` (or call
    `tick(now)`) to get alert changes for the incident service."""

    def __init__(self, evaluator: SloEvaluator, metrics: SloMetrics, clock: Clock) -> None:
        self.evaluator = evaluator
        self.metrics = metrics
        self.clock = clock
        self._declared: dict[str, list[str]] = {}
        # Labelled counter children by (slo, good): `labels()` costs more than the count.
        self._events: dict[tuple[str, bool], Any] = {}
        self._declare(evaluator.specs)

    def apply(self, slos: Iterable[SloSpec]) -> None:
        """Adopt the SLOs of a (re)loaded policy snapshot."""
        specs = tuple(slos)
        self.evaluator.configure(specs)
        self._events.clear()
        names = {s.name for s in specs}
        for gone in [n for n in self._declared if n not in names]:
            self.metrics.forget_slo(gone, self._declared.pop(gone))
        self._declare(specs)

    def _declare(self, specs: Iterable[SloSpec]) -> None:
        for spec in specs:
            self.metrics.declare_slo(spec.name, spec.objective)
            self._declared[spec.name] = _labels(spec)

    def on_execute(
        self, model: str | None, rule: str | None, latency_ms: float, ok: bool, at: datetime
    ) -> None:
        """Count one finished execute (ok=False when it ended in an error)."""
        for name, good in self.evaluator.record(model, rule, latency_ms, ok, at):
            child = self._events.get((name, good))
            if child is None:
                child = self._events[(name, good)] = self.metrics.slo_events.labels(
                    name, "good" if good else "bad"
                )
            child.inc()

    def consume(self, event_type: str, payload: Mapping[str, Any], at: datetime) -> bool:
        """Count an event-bus payload: `route.execute`, or the `error` a failed execute
        publishes (route /route/execute, code all_candidates_failed). True when counted."""
        if event_type == "route.execute":
            latency = payload.get("latency_ms")
            if not isinstance(latency, int | float):
                return False
            model = payload.get("model")
            ok = bool(payload.get("ok", payload.get("stopped_reason") != "upstream_error"))
            self.on_execute(
                None if model in (None, "none") else str(model),
                _opt(payload.get("rule")),
                float(latency),
                ok,
                at,
            )
            return True
        if (
            event_type == "error"
            and payload.get("route") == "/route/execute"
            and payload.get("code") == "all_candidates_failed"
        ):
            latency = payload.get("latency_ms")
            self.on_execute(
                _opt(payload.get("model")),
                _opt(payload.get("rule")),
                float(latency) if isinstance(latency, int | float) else 0.0,
                False,
                at,
            )
            return True
        return False

    def status(self, now: datetime | None = None) -> list[SloStatus]:
        """Every SLO's current burn rates, budget and status (what GET /slo shows)."""
        return self.evaluator.status(now or self.clock.now())

    def tick(self, now: datetime | None = None) -> list[SloAlert]:
        """Evaluate at `now`, refresh the gauges and return the alert changes."""
        at = now or self.clock.now()
        alerts = self.evaluator.evaluate(at)
        for status in self.evaluator.status(at):
            self.metrics.slo_status.labels(status.name).set(SLO_STATUS_VALUE[status.status])
            self.metrics.slo_budget_remaining.labels(status.name).set(status.budget_remaining)
            for window, rate in status.burn_rates.items():
                if rate is None:
                    with contextlib.suppress(KeyError):
                        self.metrics.slo_burn_rate.remove(status.name, window)
                else:
                    self.metrics.slo_burn_rate.labels(status.name, window).set(rate)
        return alerts

    async def run(self, sink: AlertSink, interval_s: float = 5.0) -> None:
        """Evaluate every `interval_s` seconds and hand each alert change to `sink`."""
        while True:
            for alert in self.tick():
                try:
                    await sink(alert)
                except Exception:  # the loop must outlive one bad delivery
                    log.exception("SLO alert sink failed for %s", alert.slo)
            await asyncio.sleep(interval_s)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
