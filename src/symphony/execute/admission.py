"""The gate before every upstream call: the kill switch, then a reservation of the units the
call may use on every window and budget that applies (windows/admission.py has the model).

`Gate.enter` answers an `Admitted` (hold it through the call, settle it with the usage) or
the reason the call may not start, in words the attempt list shows:
"killed: ...", "window full: 0 used + 50 reserved of 50 requests (rolling 1h)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from symphony.execute.planning import PlanningService
from symphony.providers.base import Usage
from symphony.routing.candidate import Candidate
from symphony.store.counters import Claim, Refusal
from symphony.windows.admission import Hold, ReservationBook, budget_key, window_key
from symphony.windows.state import WindowState
from symphony.windows.usage import Measure, measure_of

__all__ = ["Admitted", "Gate"]


@dataclass(slots=True)
class Admitted:
    """A call's reservation: what each held key counts (requests, tokens, usd)."""

    book: ReservationBook
    hold: Hold | None  # None: no window or budget limits this call
    measures: dict[str, Measure]

    def actual(self, usage: Usage, cost: float) -> dict[str, float]:
        """The call's real amounts per held key."""
        per = {
            "requests": 1.0,
            "tokens": float(usage.prompt_tokens + usage.completion_tokens),
            "usd": cost,
        }
        return {key: per[measure] for key, measure in self.measures.items()}

    async def settle(self, usage: Usage, cost: float) -> None:
        """Charge the actual amounts (call after the ledger has recorded them)."""
        hold, self.hold = self.hold, None
        if hold is not None:
            await self.book.settle(hold, self.actual(usage, cost))

    async def release(self) -> None:
        """Nothing was used: give the units back."""
        hold, self.hold = self.hold, None
        if hold is not None:
            await self.book.release(hold)


class Gate:
    """Admission for one process: reads the live state, reserves through the book."""

    def __init__(self, planning: PlanningService) -> None:
        self.planning = planning

    @property
    def book(self) -> ReservationBook:
        return self.planning.windows.book

    async def enter(self, candidate: Candidate, tenant: str) -> Admitted | str:
        """Admit a call to `candidate` for `tenant`, or say why not."""
        spec = candidate.spec
        killed = self.planning.killed(spec, tenant)
        if killed:
            return f"killed: {killed}"
        snapshot = self.planning.policy.snapshot
        if snapshot.model(spec.name) is None:
            return f"model {spec.name} left the policy"
        now = self.planning.clock.now()
        state = self.planning.windows.state(snapshot, spec.name, now, tenant)
        claims: list[Claim] = []
        measures: dict[str, Measure] = {}
        labels: dict[str, tuple[str, float, float | None, str]] = {}
        if state.remaining is not None:
            key = window_key(spec.name)
            measure = _measure(state)
            claims.append(Claim(key, _estimate(measure, candidate), state.remaining))
            measures[key] = measure
            labels[key] = (f"window full ({state.label})", state.used, state.cap, state.unit)
        for line in self.planning.budget_lines(snapshot, tenant, now):
            if not line.covers(spec):
                continue
            key = budget_key(tenant, line.key)
            claims.append(
                Claim(key, _estimate(line.unit, candidate), max(line.limit - line.spent, 0.0))
            )
            measures[key] = line.unit
            scope = "" if line.provider is None else f" on provider '{line.provider}'"
            what = f"{line.period} {line.unit} budget of tenant '{tenant}'{scope} full"
            labels[key] = (what, line.spent, line.limit, line.unit)
        if not claims:
            return Admitted(self.book, None, {})
        got = await self.book.reserve(claims)
        if isinstance(got, Refusal):
            return _refused(got, labels)
        return Admitted(self.book, got, measures)


def _measure(state: WindowState) -> Measure:
    return "tokens" if state.binding == "tokens" else measure_of(state.unit)


def _estimate(measure: Measure, candidate: Candidate) -> float:
    """What the call may use, by the plan's own estimates (worst-case output tokens)."""
    if measure == "requests":
        return 1.0
    if measure == "tokens":
        return float(candidate.est_prompt_tokens + candidate.est_completion_tokens)
    return candidate.est_cost_usd or 0.0


def _refused(refusal: Refusal, labels: dict[str, tuple[str, float, float | None, str]]) -> str:
    what, used, cap, unit = labels.get(refusal.key, (refusal.key, 0.0, None, ""))
    fmt: Callable[[float], str] = (lambda x: f"${x:.4f}") if unit == "usd" else (lambda x: f"{x:g}")
    total = "" if cap is None else f" of {fmt(cap)}"
    return (
        f"{what}: {fmt(used)} used + {fmt(refusal.reserved)} reserved{total}"
        f"{'' if unit == 'usd' else ' ' + unit}; this call needs {fmt(refusal.amount)}"
    )
