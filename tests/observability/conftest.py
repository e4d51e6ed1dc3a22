"""Fixtures for the observability pack tests; helpers live in obs_stack.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from obs_stack import Symphony, start_symphony

from app_support import demo_settings, running_demo


@dataclass
class DemoApp:
    state: Any
    client: httpx.AsyncClient
    sim: httpx.AsyncClient
    policy: Path

    async def metrics(self) -> str:
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        return response.text


@pytest.fixture
def symphony_server(tmp_path: Path) -> Iterator[Symphony]:
    """A real `symphony serve --demo` on free ports."""
    server = start_symphony(tmp_path)
    try:
        yield server
    finally:
        server.process.stop()


@pytest.fixture
async def demo_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DemoApp]:
    """The real app in demo mode (in-process simulator), driven through ASGI."""
    monkeypatch.setenv("SIM_FAST", "1")
    settings = demo_settings(tmp_path)
    async with running_demo(settings) as demo:
        yield DemoApp(demo.state, demo.client, demo.sim, settings.policy_file)
