"""The real app in demo mode with the incident fakes, a clock the test moves, and helpers to
breach and recover an SLO through the event bus (as the executor's facts would)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from app_support import demo_settings, poll_until, running_app
from symphony.clock import FixedClock
from symphony.events.facts import RouteExecuted
from symphony.flows.incident_runtime import IncidentRuntime
from symphony.integrations.fakes import FakeStack
from symphony.settings import Settings

# The evaluator ticks only when a test says so; the outbox runs in the background.
ENV = {"SYMPHONY_INCIDENTS_EVAL_INTERVAL_S": "3600", "SYMPHONY_INCIDENTS_RETRY_BASE_S": "2"}


@dataclass
class IncidentApp:
    app: Any
    client: httpx.AsyncClient
    clock: FixedClock

    @property
    def runtime(self) -> IncidentRuntime:
        runtime: IncidentRuntime = self.app.state.symphony.incidents
        return runtime

    @property
    def fakes(self) -> FakeStack:
        assert self.runtime.fakes is not None
        return self.runtime.fakes

    async def traffic(self, seconds: int, latency_ms: float, ok: bool = True) -> None:
        """One execute fact per second on the bus, the evaluator ticking each second."""
        bus = self.app.state.symphony.bus
        for n in range(seconds):
            self.clock.advance(timedelta(seconds=1))
            bus.emit(
                RouteExecuted(
                    audit_id=f"aud_{n}",
                    plan_id=f"plan_{n}",
                    model="local/ollama",
                    rule=None,
                    ok=ok,
                    tenant="default",
                    latency_ms=latency_ms,
                    cost_usd=0.0,
                    attempts=1,
                    stopped_reason=None,
                    fallback=False,
                )
            )
            await self.runtime.loops.tick()

    async def settle(self) -> None:
        """Until the outbox has nothing pending (moving the clock over retry delays)."""

        async def done() -> bool:
            if not self.runtime.services.outbox.pending():
                return True
            self.clock.advance(timedelta(seconds=5))
            self.runtime.services.outbox.wake()
            return False

        await poll_until(done, "the outbox to deliver everything")
        # An attempt marks its entry done, then records the result under the book's lock
        # (FIFO): taking the lock once waits for that last write and its facts.
        async with self.runtime.services.outbox.book.lock:
            pass

    def events(self, type_: str) -> list[dict[str, Any]]:
        return [e.data() for e in self.app.state.symphony.bus.buffer if e.type == type_]


@asynccontextmanager
async def incident_app(
    tmp: Path, clock: FixedClock, settings: Settings | None = None, **env: str
) -> AsyncIterator[IncidentApp]:
    settings = settings or demo_settings(tmp)
    async with running_app(settings, clock=clock, environ={**ENV, **env}) as (app, client):
        yield IncidentApp(app, client, clock)
