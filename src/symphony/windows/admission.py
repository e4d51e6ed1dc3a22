"""Admission as reserve -> call -> settle: a cap is a cap under concurrency.

The ledger (windows/ledger.py, the usage index) owns what was *used*: the window engine
computes each model's remaining units from it. What it cannot see is work in flight, the
calls admitted but not yet answered. Those are *reservations* in the store seam `Counters`
(store/counters.py), so a shared backend (Redis) can hold them for several processes:

- before an upstream call, one `reserve` takes the estimated units on every window and
  budget that applies, all or nothing, each limited to what the ledger says is left; a
  claim that does not fit is refused with the numbers ("window full: 0 used + 50 reserved
  of 50 requests");
- on an answer the usage goes to the ledger first (the index counts it at once), then the
  reservation is settled with the actual amounts, so there is never an instant where the
  call counts nowhere;
- on failure, cancellation or a client hang-up it is released (or settled with what the
  failed call used); one left behind by a crash expires after its TTL and counts its
  estimate until then.

Embedded (one process, `shared=False`): claims look only at live reservations (`since` =
`IN_FLIGHT_ONLY`), each limited to what the ledger says is left: settled charges are counted
by the ledger already, and counting them again would halve a cap.

Shared (`shared=True`, the counters live on Redis for several processes or replicas): a
replica's ledger sees only its own usage, so its "left" is too generous. There the claims
come as the gate builds them: the full cap from the window's (or budget period's) start,
`Claim(key, estimate, limit=cap, since=window_start)`, and the store counts its own settled
charges since then (every replica's) plus every live reservation, atomically
(execute/admission.py).

`reserved(key)` is this process's view of live reservations, kept synchronously for the
planner and the Model Matrix (planning is synchronous); the `Counters` store stays the
authority at `reserve`.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from symphony.clock import Clock
from symphony.store.counters import EPSILON, Claim, Counters, Refusal, totals
from symphony.store.memory_counters import MemoryCounters

__all__ = ["IN_FLIGHT_ONLY", "Hold", "ReservationBook", "budget_key", "window_key"]

DEFAULT_TTL = timedelta(seconds=660)  # the longest deadline (600 s) and a minute's margin

IN_FLIGHT_ONLY = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
"""A claim's `since` that no charge reaches: only live reservations count against it."""


def window_key(model: str) -> str:
    """The counter of a model's usage window (every tenant shares a model's window)."""
    return f"window:{model}"


def budget_key(tenant: str, line: str) -> str:
    """The counter of one of a tenant's budget lines (`tenant:daily:usd`,
    `provider:openai:monthly:tokens`: `routing.budgets.BudgetLine.key`)."""
    return f"budget:{tenant}:{line}"


@dataclass(frozen=True, slots=True)
class Hold:
    """A live reservation: its id, the amounts held per key, and when it expires."""

    reservation: str
    amounts: Mapping[str, float]
    expires_at: datetime


class ReservationBook:
    """Reservations in a `Counters` store, and this process's tally of them per key."""

    def __init__(
        self, counters: Counters, clock: Clock, *, ttl: timedelta, shared: bool = False
    ) -> None:
        self.counters = counters
        self.shared = shared  # counters seen by other processes: claims keep their `since`
        self.clock = clock
        self.ttl = ttl
        self._reserved: dict[str, float] = {}
        self._live: dict[str, Hold] = {}
        self._expiry: list[tuple[datetime, str]] = []

    @classmethod
    def local(cls, clock: Clock, *, ttl: timedelta = DEFAULT_TTL) -> ReservationBook:
        """A book in process memory (one process; the CLI's offline planning, tests)."""
        return cls(MemoryCounters(clock), clock, ttl=ttl)

    def reserved(self, key: str) -> float:
        """Units held on `key` by live reservations made here."""
        self._expire()
        return self._reserved.get(key, 0.0)

    @property
    def live(self) -> int:
        """Reservations made here and not yet settled, released or expired."""
        self._expire()
        return len(self._live)

    async def reserve(
        self,
        claims: Sequence[Claim],
        *,
        local: Mapping[str, tuple[float, float]] | None = None,
        at_least: timedelta | None = None,
    ) -> Hold | Refusal:
        """Hold every claim (see the module docstring for `since`), or refuse them all.

        `local` (shared counters): key -> (cap, used) as this process's ledger sees it. A
        claim is refused here first when used + this process's holds + its amount passes
        the cap. The check and the tally of the claim happen before the store is asked,
        with no await between them, so concurrent calls in this process cannot all pass it
        while their store round trips are in flight.

        The hold lives `ttl`, or `at_least` when that is longer (a call allowed to run
        longer than the TTL must not lose its hold while it runs)."""
        if not self.shared:
            claims = [Claim(c.key, c.amount, c.limit, IN_FLIGHT_ONLY) for c in claims]
        amounts = totals(claims)
        ttl = self.ttl if at_least is None else max(self.ttl, at_least)
        self._expire()
        for key, (cap, used) in (local or {}).items():
            held = self._reserved.get(key, 0.0)
            amount = amounts.get(key, 0.0)
            if used + held + amount > cap + EPSILON:
                return Refusal(key, amount, cap, used, held)
        self._tally(amounts, 1.0)  # counts here while the store is asked
        try:
            answer = await self.counters.reserve(claims, ttl=ttl)
        except BaseException:
            self._tally(amounts, -1.0)
            raise
        if not answer.admitted or answer.reservation is None:
            self._tally(amounts, -1.0)
            assert answer.refusal is not None
            return answer.refusal
        expires = answer.expires_at or self.clock.now() + ttl
        hold = Hold(answer.reservation, amounts, expires)
        self._live[hold.reservation] = hold
        heapq.heappush(self._expiry, (expires, hold.reservation))
        return hold

    async def settle(self, hold: Hold, actual: Mapping[str, float] | None = None) -> bool:
        """Charge the actual amounts (after the ledger has them) and end the hold."""
        self._forget(hold)
        known = {k: v for k, v in (actual or {}).items() if k in hold.amounts}
        return await self.counters.settle(hold.reservation, known)

    async def release(self, hold: Hold) -> bool:
        """End the hold without charging it (the call failed or was cancelled)."""
        self._forget(hold)
        return await self.counters.release(hold.reservation)

    def _forget(self, hold: Hold) -> None:
        if self._live.pop(hold.reservation, None) is None:
            return
        self._tally(hold.amounts, -1.0)

    def _tally(self, amounts: Mapping[str, float], sign: float) -> None:
        for key, amount in amounts.items():
            left = self._reserved.get(key, 0.0) + sign * amount
            if left <= 1e-9:
                self._reserved.pop(key, None)
            else:
                self._reserved[key] = left

    def _expire(self) -> None:
        """Reservations past their TTL stop counting here too (the store charged them)."""
        if not self._expiry:
            return
        now = self.clock.now()
        while self._expiry and self._expiry[0][0] <= now:
            _, rid = heapq.heappop(self._expiry)
            hold = self._live.get(rid)
            if hold is not None:
                self._forget(hold)
