"""The stateful side of windows: usage index + learned state + durable ledger."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from symphony.clock import Clock
from symphony.errors import UnknownModelError
from symphony.windows.admission import ReservationBook, window_key
from symphony.windows.calendar import slot_occurrences
from symphony.windows.engine import compute_state
from symphony.windows.headers import RateLimitObservation
from symphony.windows.ledger import HISTORY, UsageStore
from symphony.windows.power import power_windows
from symphony.windows.specs import ModelSchedule, WindowInputs, WindowPolicy
from symphony.windows.state import Interval, Learned, Source, WindowState
from symphony.windows.usage import UsageEvent, UsageIndex, ts

COOLDOWN_BASE_S = 2.0
COOLDOWN_MAX_S = 300.0
PRUNE_EVERY = 10_000
HEADER_PERSIST_INTERVAL = timedelta(seconds=1)


class WindowService:
    """Owns every model's usage and learned window facts; computes states on demand."""

    def __init__(self, store: UsageStore, clock: Clock, book: ReservationBook) -> None:
        self.store = store
        self.clock = clock
        self.book = book  # calls in flight: admission reserves here before each call
        self.index = UsageIndex()
        self.learned: dict[str, Learned] = {}
        self._lock = asyncio.Lock()
        self._persisted_at: dict[str, datetime] = {}
        self._power_cache: dict[
            tuple[str, str], tuple[object, datetime, datetime, tuple[bool, Interval | None]]
        ] = {}

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
        self._add(event)
        await self.store.record([event])

    def record_sync(self, event: UsageEvent) -> None:
        self._add(event)
        self.store.record_sync([event])

    def _add(self, event: UsageEvent) -> None:
        self.index.add(event)
        if self.index.count % PRUNE_EVERY == 0:  # keep memory bounded in a long-running process
            self.index.prune(ts(self.clock.now() - HISTORY))

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
        persist: bool = True,
    ) -> Learned:
        """Record an observation (operator, sentinel or headers) and phase-lock to it.

        `persist=False` updates memory only (the caller decides when to write)."""
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
        if persist:
            await self.store.save_learned(current)
            self._persisted_at[model] = now
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
            # Every response carries headers: keep memory exact, write at most once a second
            # per model (and always when the upstream says nothing is left).
            persist=reading.remaining == 0 or self._due(model, now),
        )

    def _due(self, model: str, now: datetime) -> bool:
        last = self._persisted_at.get(model)
        return last is None or not (last <= now < last + HEADER_PERSIST_INTERVAL)

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
        learned = self.learned.get(model)
        state = compute_state(
            inputs.spec,
            self.index,
            now,
            learned=learned,
            schedule=inputs.schedule,
            tenant_windows=inputs.tenant_windows,
            reserve_fraction=inputs.reserve_fraction,
            tz=inputs.tz,
            power=self._power(model, tenant, inputs, learned, now),
        )
        reserved = self.book.reserved(window_key(model))
        return replace(state, reserved=reserved) if reserved else state

    def _power(
        self, model: str, tenant: str, inputs: WindowInputs, learned: Learned | None, now: datetime
    ) -> tuple[bool, Interval | None]:
        """Power-window state, cached until its next boundary (cron math is the costly part)."""
        shift = (
            (learned.schedule_shift_s, learned.shift_next_only, learned.shift_origin)
            if learned
            else None
        )
        key = (model, tenant)
        ident = (inputs.schedule, inputs.tenant_windows, inputs.tz, shift)
        hit = self._power_cache.get(key)
        if hit is not None and hit[0] == ident and hit[1] <= now < hit[2]:
            return hit[3]
        result = power_windows(inputs.schedule, inputs.tenant_windows, learned, now, inputs.tz)
        interval = result[1]
        if interval is None:
            valid_until = now + timedelta(minutes=1)
        else:
            valid_until = interval.end if result[0] else interval.start
        self._power_cache[key] = (ident, now, valid_until, result)
        return result

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
