"""The background loops with real time: the outbox wakes on new entries, the SLO loop
survives a failing sink. Polls with a bound, never sleeps blindly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from incident_harness import SLOS, Harness

from symphony.clock import SystemClock
from symphony.incidents.slo import SloAlert, SloEvaluator
from symphony.incidents.slo_service import SloService
from symphony.integrations.fakes import FakeStack
from symphony.metrics.registry import Metrics


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_outbox_loop_wakes_on_new_entries(tmp_path: Path, parity) -> None:  # type: ignore[no-untyped-def]
    stack = FakeStack()
    h = Harness(tmp_path, SystemClock(), stack, parity)  # type: ignore[arg-type]
    await h.services.start()
    task = asyncio.create_task(h.outbox.run(poll_s=30))  # only a wake-up can be this quick
    try:
        await asyncio.sleep(0.05)
        await h.incidents.open_manual("Disk full on the ledger host", "", "p2")
        await until(lambda: len(stack.github.issues) == 1 and len(stack.pagerduty.events) == 1)
        await until(lambda: not h.outbox.pending())
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await h.aclose()
    assert len(stack.github.issues) == 1


async def test_slo_loop_survives_a_failing_sink() -> None:
    service = SloService(SloEvaluator(SLOS), Metrics().slo, SystemClock())
    seen: list[SloAlert] = []

    async def sink(alert: SloAlert) -> None:
        seen.append(alert)
        if len(seen) == 1:
            raise RuntimeError("incident service hiccup")

    now = SystemClock().now()
    service.on_execute("m", None, 5000, True, now)  # latency breach
    service.on_execute("m", None, 1, False, now)  # availability breach
    task = asyncio.create_task(service.run(sink, interval_s=0.01))
    try:
        await until(lambda: len(seen) >= 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert {a.slo for a in seen[:2]} == {"execute-latency", "execute-availability"}
    assert timedelta(0) <= seen[0].at - now < timedelta(seconds=5)
