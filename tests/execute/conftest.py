"""Demo-mode fixtures: the real app with its in-process provider simulator.

`demo` drives the app through httpx.ASGITransport; `live_server` runs the same app under a
real uvicorn server (needed when a client must disconnect mid-stream, or for SDK streaming).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from contract_check import contract_checked
from symphony.app import create_app
from symphony.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEMO_POLICY = ROOT / "config" / "demo.policy.yml"

# Demo policy model -> the simulated upstream model id it calls.
SIM_MODEL = {
    "local/ollama": "llama3.1:8b",
    "litellm/proxy": "litellm-default",
    "openai/chatgpt-plus": "gpt-4o-mini",
    "anthropic/claude-pro": "claude-sonnet-4",
    "google/gemini-pro": "gemini-2.5-flash",
    "xai/grok": "grok-4",
    "perplexity/api": "sonar",
    "deepseek/api": "deepseek-chat",
    "venice/api": "venice-uncensored",
}


class Demo:
    """One running demo app: the Symphony client plus the simulator's control surface."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, sim: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.sim = sim

    @property
    def state(self) -> Any:
        return self.app.state.symphony

    async def fault(self, model: str, kind: str, count: int = 1, **extra: float) -> None:
        """Queue a simulator fault for the policy model `model`."""
        body: dict[str, Any] = {"model": SIM_MODEL[model], "kind": kind, "count": count, **extra}
        response = await self.sim.post("/_sim/faults", json=body)
        assert response.status_code == 200, response.text

    async def sim_model(self, model: str) -> dict[str, Any]:
        """The simulator's counters for the policy model `model`."""
        body: dict[str, Any] = (await self.sim.get("/_sim/state")).json()
        return body["models"][SIM_MODEL[model]]  # type: ignore[no-any-return]

    async def window(self, model: str) -> dict[str, Any]:
        response = await self.client.get(f"/models/{model}")
        assert response.status_code == 200, response.text
        return response.json()["window"]  # type: ignore[no-any-return]

    async def execute(self, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = await self.client.post("/route/execute", json=body)
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    def events(self, type_: str) -> list[dict[str, Any]]:
        return [e.data() for e in self.state.bus.buffer if e.type == type_]


def demo_settings(tmp: Path) -> Settings:
    """Settings for a demo app whose policy and data live under `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    policy = tmp / "demo.policy.yml"
    if not policy.exists():
        shutil.copy(DEMO_POLICY, policy)
    return Settings().replace(
        demo=True,
        policy_file=policy,
        windows_file=None,
        data_dir=tmp / "data",
        simulator_port=0,
        auth_enabled=False,
        watch_policy=False,
        health_probe_interval_s=3600,
        health_probe_timeout_s=0.5,
    )


@pytest.fixture(autouse=True)
def sim_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero simulated latencies (faults with their own delay_s still wait)."""
    monkeypatch.setenv("SIM_FAST", "1")


@asynccontextmanager
async def running_demo(settings: Settings) -> AsyncIterator[Demo]:
    """Start the demo app (lifespan included) and yield clients for it and its simulator."""
    app = create_app(settings, environ={})
    async with app.router.lifespan_context(app):
        sim_base = app.state.symphony.planning.simulated_prefixes[0]
        transport = httpx.ASGITransport(app=contract_checked(app))
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://symphony.test") as client,
            httpx.AsyncClient(base_url=sim_base, timeout=10) as sim,
        ):
            yield Demo(app, client, sim)


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


class LiveServer:
    """The demo app served by uvicorn on a free loopback port."""

    def __init__(self, app: FastAPI, url: str, sim: httpx.AsyncClient) -> None:
        self.app = app
        self.url = url
        self.sim = sim

    @property
    def state(self) -> Any:
        return self.app.state.symphony


async def _wait_until(check: Callable[[], bool], what: str, deadline_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def serve_live(settings: Settings) -> AsyncIterator[LiveServer]:
    app = create_app(settings, environ={})
    config = uvicorn.Config(
        # Checked like every other response; a violation fails the test at teardown.
        contract_checked(app, raise_violations=False),
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await _wait_until(lambda: server.started or task.done(), "uvicorn to start")
        if task.done():
            task.result()
            raise AssertionError("uvicorn stopped before it started")
        port = server.servers[0].sockets[0].getsockname()[1]  # port 0: the OS picked one
        sim_base = app.state.symphony.planning.simulated_prefixes[0]
        async with httpx.AsyncClient(base_url=sim_base, timeout=10) as sim:
            yield LiveServer(app, f"http://127.0.0.1:{port}", sim)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve_live(demo_settings(tmp_path)) as server:
        yield server


Poll = Callable[[Callable[[], Awaitable[bool]], str], Awaitable[None]]


async def _poll(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Re-run `check` until it is true; fail after a generous deadline (never a timing assert)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 20.0
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
def poll() -> Poll:
    return _poll


DemoFactory = Callable[[], AbstractAsyncContextManager[Demo]]


@pytest.fixture
def demo_factory(tmp_path: Path) -> DemoFactory:
    """Start demo apps that share one policy copy and one data dir (restarts)."""
    settings = demo_settings(tmp_path)
    return lambda: running_demo(settings)
