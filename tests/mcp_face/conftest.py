"""MCP fixtures: a demo Symphony (simulated upstreams) and its MCP face.

`demo_app` is the real app with its lifespan running (auth off); tests connect to an
`McpFace` over its Services in-process (`mcp.Client(face.server)`). `live` serves the app
with authentication ON under uvicorn on a free loopback port, with keys of each role.
MCP clients are entered inside each test: an anyio task group must be left by the task
that entered it, and pytest-asyncio may tear a fixture down in another task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from mcp_support import Live, demo_settings, serve

from symphony.app import create_app
from symphony.mcp.server import McpFace
from symphony.services import Services


@pytest.fixture(autouse=True)
def sim_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero simulated upstream latencies."""
    monkeypatch.setenv("SIM_FAST", "1")


@pytest.fixture
async def demo_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(demo_settings(tmp_path), environ={})
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def services(demo_app: FastAPI) -> Services:
    found: Services = demo_app.state.symphony
    return found


@pytest.fixture
def face(services: Services) -> McpFace:
    """A second front end over the running app's Services."""
    return McpFace(lambda: services, services.settings)


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with serve(demo_settings(tmp_path, auth_enabled=True)) as running:
        yield running
