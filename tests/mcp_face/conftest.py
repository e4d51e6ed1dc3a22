"""MCP fixtures over the shared harness (tests/app_support.py).

`demo` is the real demo app with its lifespan running (auth off); tests connect to an
`McpFace` over its Services in-process (`mcp.Client(face.server)`). `live` serves the demo
app with authentication ON under uvicorn on a free loopback port, with keys of each role.
MCP clients are entered inside each test: an anyio task group must be left by the task
that entered it, and pytest-asyncio may tear a fixture down in another task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp_support import Live, create_keys

from app_support import Demo, demo_settings, running_demo, serve_live
from symphony.mcp.server import McpFace
from symphony.services import Services


@pytest.fixture(autouse=True)
def sim_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero simulated upstream latencies."""
    monkeypatch.setenv("SIM_FAST", "1")


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async with running_demo(demo_settings(tmp_path)) as running:
        yield running


@pytest.fixture
def services(demo: Demo) -> Services:
    found: Services = demo.state
    return found


@pytest.fixture
def face(services: Services) -> McpFace:
    """A second front end over the running app's Services."""
    return McpFace(lambda: services, services.settings)


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    settings = demo_settings(tmp_path).replace(auth_enabled=True)
    secrets = create_keys(settings.data_dir)
    async with serve_live(settings) as server:
        yield Live(server, secrets)
