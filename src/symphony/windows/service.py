"""The stateful side of windows: usage index + learned state + durable ledger."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from symphony.clock import Clock
from symphony.errors import UnknownModelError
from symphony.windows.calendar import slot_occurrences
from symphony.windows.engine import compute_state
from symphony.windows.headers import RateLimitObservation
from symphony.windows.ledger import HISTORY, UsageStore
from symphony.windows.specs import ModelSchedule, WindowPolicy
from symphony.windows.state import Learned, Source, WindowState
from symphony.windows.usage import UsageEvent, UsageIndex

COOLDOWN_BASE_S = 2.0
COOLDOWN_MAX_S = 300.0


class WindowService:
    """Owns every model's usage and learned window facts; computes states on demand."""

    def __init__(self, store: UsageStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.index = UsageIndex()
        self.learned: dict[str, Learned] = {}
        self._lock = asyncio.Lock()

    def load(self) -> int:
        """Rebuild in-memory state from the ledger (start-up); returns events loaded."""
        events = self.store.load_events(self.clock.now() - HISTORY)
        self.index = UsageIndex()
        for event in events:
            self.index.add(event)
        self.learned = self.store.load_learned()
        return len(events)

    async def record(self, event: UsageEvent) -> None:
        """Count the usage now; return once it is durable in the ledger."""
        self.index.add(event)
        await self.store.record([event])

    def record_sync(self, event: UsageEvent) -> None:
        self.index.add(event)
        self.store.record_sync([event])

    # --- learning -------------------------------------------------------------------
    async def observe(
        self,
        model: str,
        now: datetime,
        *,
        resets_at: datetime | None = None,
        remaining: float | None = None,
        cap: float | None = None,
        source: Source = "learned",
        note: str = "",
        schedule: ModelSchedule | None = None,
    ) -> Learned:
        """Record an observation (operator, sentinel or headers) and phase-lock to it."""
        current = self.learned.get(model) or Learned(model=model)
        current.observed_at = now
        current.resets_at = resets_at
        current.remaining = remaining
        if cap is not None:
            current.cap = cap
        current.source = source
        current.note = note[:500]
        if resets_at is not None and schedule is not None and schedule.action and schedule.slots:
            current.schedule_shift_s = _shift_to(resets_at, schedule)
            current.shift_next_only = schedule.action == "shift_to_next_reset"
            current.shift_origin = resets_at - timedelta(seconds=current.schedule_shift_s)
        self.learned[model] = current
        await self.store.save_learned(current)
        return current

    async def observe_headers(
        self, model: str, obs: RateLimitObservation, now: datetime
    ) -> Learned | None:
        reading = obs.binding()
        if reading is None:
            return None
        return await self.observe(
            model,
            now,
            resets_at=reading.resets_at,
            remaining=None if reading.remaining is None else float(reading.remaining),
            cap=None if reading.limit is None else float(reading.limit),
            source="headers",
            note=f"{reading.dimension} from response headers",
        )

    async def cooldown(self, model: str, now: datetime, retry_after_s: float | None) -> Learned:
        """Start (or extend) an exponential cooldown after a 429/5xx, honouring Retry-After."""
        current = self.learned.get(model) or Learned(model=model)
        current.strikes += 1
        backoff = min(COOLDOWN_BASE_S * 2 ** (current.strikes - 1), COOLDOWN_MAX_S)
        wait = max(backoff, retry_after_s or 0.0)
        until = now + timedelta(seconds=wait)
        if current.cooldown_until is None or until > current.cooldown_until:
            current.cooldown_until = until
        self.learned[model] = current
        await self.store.save_learned(current)
        return current

    async def succeeded(self, model: str) -> None:
        """A success clears the strike count (written only when there was one)."""
        current = self.learned.get(model)
        if current is not None and current.strikes:
            current.strikes = 0
            current.cooldown_until = None
            await self.store.save_learned(current)

    # --- reading --------------------------------------------------------------------
    def state(
        self, snapshot: WindowPolicy, model: str, now: datetime, tenant: str = "default"
    ) -> WindowState:
        inputs = snapshot.window_inputs(model, tenant)
        if inputs is None:
            raise UnknownModelError(f"unknown model '{model}'")
        return compute_state(
            inputs.spec,
            self.index,
            now,
            learned=self.learned.get(model),
            schedule=inputs.schedule,
            tenant_windows=inputs.tenant_windows,
            reserve_fraction=inputs.reserve_fraction,
            tz=inputs.tz,
        )

    def matrix(
        self, snapshot: WindowPolicy, now: datetime, tenant: str = "default"
    ) -> list[WindowState]:
        return [self.state(snapshot, m.name, now, tenant) for m in snapshot.models]


def _shift_to(resets_at: datetime, schedule: ModelSchedule) -> float:
    """Seconds to move the schedule so its nearest slot starts at the learned reset."""
    starts = [
        start
        for slot in schedule.slots
        for start, _ in slot_occurrences(slot.days, slot.at, slot.duration, schedule.tz, resets_at)
    ]
    if not starts:
        return 0.0
    nearest = min(starts, key=lambda s: abs((s - resets_at).total_seconds()))
    return (resets_at - nearest).total_seconds()
