"""The simulator fixture shared by its tests: a fast simulator on a free port and a client.

A test module that speaks another wire format sets `sim_path` (e.g. "/anthropic"); one that
pins time sets `sim_clock`; one that needs its own models overrides `sim`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from symphony.clock import Clock
from symphony.simulator import RunningSimulator, load_simulator_config, start_simulator


@pytest.fixture
def sim_clock() -> Clock | None:
    """The simulator's clock (None: the system clock); a module pins it for exact headers."""
    return None


@pytest.fixture
async def sim(sim_clock: Clock | None) -> AsyncIterator[RunningSimulator]:
    config = load_simulator_config(None).model_copy(update={"fast": True})
    running = await start_simulator(config, clock=sim_clock)
    yield running
    await running.stop()


@pytest.fixture
def sim_path() -> str:
    """The path prefix of the wire format under test ("" = OpenAI's)."""
    return ""


@pytest.fixture
async def client(sim: RunningSimulator, sim_path: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sim.base_url}{sim_path}", timeout=5) as http:
        yield http
