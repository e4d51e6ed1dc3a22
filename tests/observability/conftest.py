"""Fixtures for the observability pack tests; helpers live in obs_stack.py."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from obs_stack import ROOT, Symphony, start_symphony

from symphony.app import create_app
from symphony.settings import Settings


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
    policy = tmp_path / "demo.policy.yml"
    shutil.copy(ROOT / "config" / "demo.policy.yml", policy)
    settings = Settings().replace(
        demo=True,
        policy_file=policy,
        windows_file=None,
        data_dir=tmp_path / "data",
        simulator_port=0,
        auth_enabled=False,
        watch_policy=False,
        health_probe_interval_s=3600,
        health_probe_timeout_s=0.5,
    )
    app = create_app(settings, environ={})
    async with app.router.lifespan_context(app):
        state = app.state.symphony
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://symphony.test") as client,
            httpx.AsyncClient(base_url=state.planning.simulated_prefixes[0], timeout=10) as sim,
        ):
            yield DemoApp(state, client, sim, policy)
