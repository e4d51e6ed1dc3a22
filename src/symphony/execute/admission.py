"""The gate before every upstream call: the kill switch, then a reservation of the units the
call may use on every window and budget that applies (windows/admission.py has the model).

`Gate.enter` answers an `Admitted` (hold it through the call, settle it with the usage) or
the reason the call may not start, in words the attempt list shows:
"killed: ...", "window full: 0 used + 50 reserved of 50 requests (rolling 1h)".

Claims, embedded (one process): limit = what this process's ledger says is left, and only
live reservations count against it (windows/admission.py explains why).

Claims, shared counters (Redis: several workers or replicas): each replica's ledger sees only
its own usage, so the claim is `limit = cap, since = window start` (budget lines: the line's
limit since the period's start) and the store counts every replica's settled charges since
then plus every live reservation, in one atomic check. The local view still applies when it
knows more (an observed remaining from an operator or sentinel report or, on header-driven
windows, from rate-limit headers; usage in the ledger from before the counters held it):
when `local used + this process's reservations + the estimate` passes the cap, the call is
refused first with the local numbers. So the stricter of the two views wins, and neither
can admit past the cap the other knows about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from symphony.execute.planning import PlanningService
from symphony.providers.base import Usage
from symphony.routing.candidate import Candidate
from symphony.store.counters import Claim, Refusal
from symphony.windows.admission import (
    IN_FLIGHT_ONLY,
    Hold,
    ReservationBook,
    budget_key,
    window_key,
)
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

    async def enter(
        self, candidate: Candidate, tenant: str, *, may_run_s: float = 0.0
    ) -> Admitted | str:
        """Admit a call to `candidate` for `tenant` that may run `may_run_s` seconds (its
        reservation outlives that by a minute), or say why not."""
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
        labels: dict[str, _Label] = {}
        if state.remaining is not None and state.cap is not None:
            key = window_key(spec.name)
            measure = _measure(state)
            labels[key] = (f"window full ({state.label})", state.used, state.cap, state.unit)
            amount = _estimate(measure, candidate)
            claims.append(self._claim(key, amount, state.cap, state.used, state.window_start))
            measures[key] = measure
        for line in self.planning.budget_lines(snapshot, tenant, now):
            if not line.covers(spec):
                continue
            key = budget_key(tenant, line.key)
            scope = "" if line.provider is None else f" on provider '{line.provider}'"
            what = f"{line.period} {line.unit} budget of tenant '{tenant}'{scope} full"
            labels[key] = (what, line.spent, line.limit, line.unit)
            amount = _estimate(line.unit, candidate)
            claims.append(self._claim(key, amount, line.limit, line.spent, line.starts_at))
            measures[key] = line.unit
        if not claims:
            return Admitted(self.book, None, {})
        # Shared counters: this process's view refuses first when it is the stricter one.
        local = {k: (cap, used) for k, (_, used, cap, _) in labels.items() if cap is not None}
        got = await self.book.reserve(
            claims,
            local=local if self.book.shared else None,
            at_least=timedelta(seconds=may_run_s + 60.0),
        )
        if isinstance(got, Refusal):
            return _refused(got, labels, store_used=self.book.shared)
        return Admitted(self.book, got, measures)

    def _claim(
        self, key: str, amount: float, cap: float, used: float, start: datetime | None
    ) -> Claim:
        """Embedded: what the ledger says is left. Shared: the cap, from the window's start."""
        if not self.book.shared:
            return Claim(key, amount, max(cap - used, 0.0))
        if start is None:  # no start known: the local view, in-flight calls only
            return Claim(key, amount, max(cap - used, 0.0), IN_FLIGHT_ONLY)
        return Claim(key, amount, cap, start)


_Label = tuple[str, float, float | None, str]  # what, local used, cap, unit


def _measure(state: WindowState) -> Measure:
    return "tokens" if state.binding == "tokens" else measure_of(state.unit)


def _estimate(measure: Measure, candidate: Candidate) -> float:
    """What the call may use, by the plan's own estimates (worst-case output tokens)."""
    if measure == "requests":
        return 1.0
    if measure == "tokens":
        return float(candidate.est_prompt_tokens + candidate.est_completion_tokens)
    return candidate.est_cost_usd or 0.0


def _refused(refusal: Refusal, labels: dict[str, _Label], *, store_used: bool = False) -> str:
    """The refusal in words; `store_used`: "used" is the store's count (shared counters),
    else the ledger's (embedded: the store's claim only saw reservations)."""
    what, used, cap, unit = labels.get(refusal.key, (refusal.key, 0.0, None, ""))
    if store_used and refusal.limit == cap:
        used = refusal.used
    fmt: Callable[[float], str] = (lambda x: f"${x:.4f}") if unit == "usd" else (lambda x: f"{x:g}")
    total = "" if cap is None else f" of {fmt(cap)}"
    return (
        f"{what}: {fmt(used)} used + {fmt(refusal.reserved)} reserved{total}"
        f"{'' if unit == 'usd' else ' ' + unit}; this call needs {fmt(refusal.amount)}"
    )
