"""Table tests of the in-process SLO evaluator with an injected clock (minutes and seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from symphony.clock import FixedClock
from symphony.incidents.slo import SloAlert, SloEvaluator
from symphony.policy.model import DEFAULT_BURN_WINDOWS, BurnWindow, SloScope, SloSpec

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def availability(objective: float = 0.999, **kw: object) -> SloSpec:
    return SloSpec(
        name=str(kw.pop("name", "up")),
        kind="availability",
        objective=objective,
        period=timedelta(days=30),
        **kw,  # type: ignore[arg-type]
    )


DRILL = SloSpec(
    name="drill",
    kind="latency",
    objective=0.9,
    period=timedelta(hours=1),
    threshold_ms=2000,
    windows=(
        BurnWindow("page", timedelta(seconds=60), timedelta(seconds=10), 5.0),
        BurnWindow("ticket", timedelta(minutes=5), timedelta(seconds=30), 2.0),
    ),
)


class Traffic:
    """Drives the evaluator one event per `every` and evaluates after each step."""

    def __init__(self, evaluator: SloEvaluator, clock: FixedClock) -> None:
        self.ev = evaluator
        self.clock = clock
        self.alerts: list[tuple[timedelta, SloAlert]] = []

    def run(
        self,
        duration: timedelta,
        *,
        ok: bool = True,
        latency_ms: float = 100,
        every: timedelta = timedelta(seconds=1),
        evaluate: bool = True,
    ) -> None:
        end = self.clock.now() + duration
        while self.clock.now() < end:
            self.clock.advance(every)
            self.ev.record("m", "r", latency_ms, ok, self.clock.now())
            if evaluate:
                for alert in self.ev.evaluate(self.clock.now()):
                    self.alerts.append((self.clock.now() - T0, alert))

    def idle(self, duration: timedelta, step: timedelta = timedelta(seconds=1)) -> None:
        end = self.clock.now() + duration
        while self.clock.now() < end:
            self.clock.advance(step)
            for alert in self.ev.evaluate(self.clock.now()):
                self.alerts.append((self.clock.now() - T0, alert))

    def log(self) -> list[tuple[str, str]]:
        return [(a.state, a.severity) for _, a in self.alerts]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def test_idle_service_has_no_burn_rate_and_full_budget(clock: FixedClock) -> None:
    ev = SloEvaluator([availability()])
    status = ev.status(clock.now())[0]
    assert status.status == "ok"
    assert all(rate is None for rate in status.burn_rates.values())
    assert status.budget_remaining == 1.0
    assert ev.evaluate(clock.now()) == []


def test_sre_table_pages_after_2_percent_of_budget_then_tickets_then_resolves(
    clock: FixedClock,
) -> None:
    ev = SloEvaluator([availability(0.999)])
    traffic = Traffic(ev, clock)
    # Two good hours at 1 execute/min keep every window populated, then a full outage.
    traffic.run(timedelta(hours=2), every=timedelta(minutes=1), evaluate=False)
    assert ev.evaluate(clock.now()) == []
    start = clock.now()
    traffic.run(timedelta(minutes=10), ok=False, every=timedelta(seconds=1))
    first_at, first = traffic.alerts[0]
    assert (first.state, first.severity) == ("firing", "page")
    # 1h window: 60 good events + n bad; the ratio passes 14.4 x 0.001 at n = 1 already.
    assert first_at - (start - T0) <= timedelta(seconds=2)
    page = first.status.windows[0]
    assert page.firing
    assert page.long_rate is not None
    assert page.long_rate > 14.4
    # The outage ends. The 1h/5m row stops after 5 clean minutes, but the 6h/30m row
    # (6x) pages until the bad minutes leave its 30-minute window; then only the ticket
    # rows (1d/2h at 3x, 3d/6h at 1x) fire: the status drops to ticket.
    stop = clock.now()
    traffic.run(timedelta(minutes=31), every=timedelta(seconds=10))
    assert traffic.log() == [("firing", "page"), ("firing", "ticket")]
    deescalated_after = traffic.alerts[1][0] - (stop - T0)
    # Window edges are exact to one bucket: a tenth of the shortest window (30 s here).
    assert timedelta(minutes=29, seconds=30) <= deescalated_after <= timedelta(minutes=30)
    assert traffic.alerts[1][1].previous == "page"
    status = ev.status(clock.now())[0]
    assert status.status == "ticket"
    assert status.budget_remaining < 0  # 600 bad of ~900 events: far past a 0.1 % budget
    # The 3d/6h row needs its 6-hour short window clean: resolved 6 hours after the outage.
    traffic.run(timedelta(hours=6), every=timedelta(minutes=1))
    assert traffic.log()[-1] == ("resolved", "ticket")
    resolved_after = traffic.alerts[-1][0] - (stop - T0)
    assert timedelta(hours=5, minutes=59) <= resolved_after <= timedelta(hours=6)


def test_drill_windows_in_seconds(clock: FixedClock) -> None:
    ev = SloEvaluator([DRILL])  # budget 10 %: page above 50 % bad, ticket above 20 %
    traffic = Traffic(ev, clock)
    traffic.run(timedelta(seconds=30), latency_ms=300)  # one good execute per second
    assert traffic.alerts == []
    traffic.run(timedelta(seconds=40), latency_ms=3500)  # the fault: every execute slow
    assert traffic.log() == [("firing", "ticket"), ("firing", "page")]
    ticket_at, _ = traffic.alerts[0]
    page_at, page = traffic.alerts[1]
    # Ticket: 5 min window 8/38 > 20 % and 30 s window 8/30 > 20 % at the 8th slow second.
    assert ticket_at == timedelta(seconds=38)
    # Page: the 60 s window needs more slow than good seconds: 31 of 60 at the 31st.
    assert page_at == timedelta(seconds=61)
    assert page.previous == "ticket"
    assert page.status.p95_ms == 3500
    assert page.status.alert_since == T0 + timedelta(seconds=38)
    traffic.run(timedelta(seconds=60), latency_ms=300)  # fault removed
    # The 10 s window is back to 50 % after 5 good seconds (not above: page ends), the
    # 30 s window to 6/30 = 20 % after 24: resolved.
    assert traffic.log()[2:] == [("firing", "ticket"), ("resolved", "ticket")]
    assert traffic.alerts[2][0] == timedelta(seconds=75)
    assert traffic.alerts[3][0] == timedelta(seconds=94)
    assert ev.status(clock.now())[0].status == "ok"


def test_failed_executes_do_not_count_for_latency(clock: FixedClock) -> None:
    ev = SloEvaluator([DRILL, availability(0.9, name="up", windows=DRILL.windows)])
    for i in range(20):
        counted = ev.record("m", "r", 50_000, False, clock.now() + timedelta(seconds=i))
        assert counted == [("up", False)]
    statuses = {s.name: s for s in ev.status(clock.now() + timedelta(seconds=20))}
    assert statuses["drill"].good + statuses["drill"].bad == 0
    assert statuses["up"].bad == 20
    assert statuses["up"].status == "page"


def test_scope_filters_model_and_rule(clock: FixedClock) -> None:
    spec = SloSpec(
        name="qa",
        kind="availability",
        objective=0.99,
        period=timedelta(days=30),
        scope=SloScope(model="a", rule="qa"),
    )
    ev = SloEvaluator([spec])
    assert ev.record("a", "qa", 1, False, clock.now()) == [("qa", False)]
    assert ev.record("b", "qa", 1, False, clock.now()) == []
    assert ev.record("a", None, 1, False, clock.now()) == []


def test_budget_remaining_counts_the_whole_period(clock: FixedClock) -> None:
    ev = SloEvaluator([availability(0.99)])
    # 1,000 events over 10 days, 5 bad: error ratio 0.5 %, half the 1 % budget.
    for i in range(1000):
        at = clock.now() + timedelta(minutes=14.4 * i)
        ev.record("m", "r", 1, i % 200 != 0, at)
    status = ev.status(clock.now() + timedelta(days=10))[0]
    assert (status.good, status.bad) == (995, 5)
    assert status.budget_remaining == pytest.approx(0.5)
    # Events older than the 30-day period fall out of the budget.
    later = ev.status(clock.now() + timedelta(days=45))[0]
    assert later.good + later.bad < 1000


def test_hot_reload_keeps_data_when_shape_is_unchanged(clock: FixedClock) -> None:
    ev = SloEvaluator([availability(0.99)])
    for i in range(10):
        ev.record("m", "r", 1, False, clock.now() + timedelta(seconds=i))
    now = clock.now() + timedelta(seconds=10)
    assert [a.state for a in ev.evaluate(now)] == ["firing"]
    ev.configure([availability(0.5)])  # objective changed only: data kept
    status = ev.status(now)[0]
    assert status.bad == 10
    assert status.objective == 0.5
    # With the data kept, 100 % bad burns 2x a 50 % budget: only the 3d/6h 1x row fires.
    assert [(a.state, a.severity) for a in ev.evaluate(now)] == [("firing", "ticket")]
    ev.configure([])  # removed while firing: told as resolved once
    gone = ev.evaluate(now)
    assert [(a.slo, a.state) for a in gone] == [("up", "resolved")]
    assert ev.evaluate(now) == []


def test_default_windows_give_four_burn_rates_by_label(clock: FixedClock) -> None:
    ev = SloEvaluator([availability()])
    ev.record("m", "r", 1, True, clock.now())
    status = ev.status(clock.now())[0]
    assert list(status.burn_rates) == ["1h", "5m", "6h", "30m", "1d", "2h", "3d"]
    assert [w.factor for w in status.windows] == [w.factor for w in DEFAULT_BURN_WINDOWS]
    assert status.to_dict()["windows"][0] == {
        "severity": "page",
        "long": "1h",
        "short": "5m",
        "factor": 14.4,
        "long_burn_rate": 0.0,
        "short_burn_rate": 0.0,
        "firing": False,
    }
