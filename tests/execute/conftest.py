"""Demo-mode fixtures: the real app with its in-process provider simulator.

`demo` drives the app through httpx.ASGITransport; `live_server` runs the same app under a
real uvicorn server (needed when a client must disconnect mid-stream, or for SDK streaming).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from app_support import (
    Demo,
    LiveServer,
    Poll,
    demo_settings,
    poll_until,
    running_demo,
    serve_live,
)


@pytest.fixture(autouse=True)
def sim_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero simulated latencies (faults with their own delay_s still wait)."""
    monkeypatch.setenv("SIM_FAST", "1")


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async with running_demo(demo_settings(tmp_path)) as running:
        yield running


@pytest.fixture
async def paced_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Demo]:
    """A demo app whose simulator keeps its configured latencies (tens of milliseconds)."""
    monkeypatch.delenv("SIM_FAST")
    async with running_demo(demo_settings(tmp_path)) as running:
        yield running


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve_live(demo_settings(tmp_path)) as server:
        yield server


@pytest.fixture
def poll() -> Poll:
    return poll_until


DemoFactory = Callable[[], AbstractAsyncContextManager[Demo]]


@pytest.fixture
def demo_factory(tmp_path: Path) -> DemoFactory:
    """Start demo apps that share one policy copy and one data dir (restarts)."""
    settings = demo_settings(tmp_path)
    return lambda: running_demo(settings)
