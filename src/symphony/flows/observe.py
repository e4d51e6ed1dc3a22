"""A window observation from an operator or a sentinel: learn, announce, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.errors import UnknownModelError, ValidationFailed
from symphony.events.bus import EventBus
from symphony.events.facts import WindowUpdated
from symphony.policy.store import PolicyStore
from symphony.windows.service import WindowService
from symphony.windows.state import Learned, WindowState


class ObserveFlow:
    """`POST /windows/{model}/observe`: phase-lock a model's window to what was seen."""

    def __init__(
        self,
        policy: PolicyStore,
        windows: WindowService,
        audit: AuditSink,
        bus: EventBus,
        clock: Clock,
        redact: Callable[[str], str],
    ) -> None:
        self.policy = policy
        self.redact = redact  # an operator's note is free text: masked before it is kept
        self.windows = windows
        self.audit = audit
        self.bus = bus
        self.clock = clock

    async def observe(
        self,
        model: str,
        *,
        resets_at: datetime | None,
        remaining: float | None,
        cap: float | None,
        source: str,
        note: str,
        observation: dict[str, Any],
        actor: str | None,
    ) -> tuple[Learned, WindowState]:
        """Record the observation; return what was learned and the window now."""
        snapshot = self.policy.snapshot
        if snapshot.model(model) is None:
            raise UnknownModelError(f"unknown model '{model}'")
        now = self.clock.now()
        _check_reset(resets_at, remaining, now)
        learned = await self.windows.observe(
            model,
            now,
            resets_at=resets_at,
            remaining=remaining,
            cap=cap,
            source="learned",
            note=self.redact(f"{source}: {note}".strip(": ")),
            schedule=snapshot.schedules.get(model),
        )
        state = self.windows.state(snapshot, model, now)
        self.bus.emit(WindowUpdated(model=model, source=source, window=state.to_dict()))
        await self.audit.append(
            "window.observe", {"model": model, "observation": observation}, actor=actor
        )
        return learned, state


def _check_reset(resets_at: datetime | None, remaining: float | None, now: datetime) -> None:
    """A count left means nothing without when it resets (it would change no window), and a
    reset already past cannot be locked to."""
    problem: str | None = None
    if remaining is not None and resets_at is None:
        problem = (
            "is required with remaining: the instant the remaining count resets"
            " (e.g. 2026-11-22T20:00:00Z)"
        )
    elif resets_at is not None and resets_at < now:
        at = now.isoformat().replace("+00:00", "Z")
        problem = f"is in the past (now is {at}): give the next reset"
    if problem is not None:
        field = {"path": "body.resets_at", "message": problem}
        raise ValidationFailed(f"body.resets_at: {problem}", detail={"fields": [field]})
