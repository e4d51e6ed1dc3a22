"""One app harness and one simulator fixture for every test that runs Symphony.

`running_app` starts the real app (lifespan included) behind httpx.ASGITransport with the
contract check on; `running_demo` does the same in demo mode with the in-process provider
simulator and a client for its control surface; `serve_live` runs the demo app under a real
uvicorn server on a free loopback port (for clients that need sockets). The conftests turn
these into fixtures (`harness`, `demo`, `live_server`, …).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from contract_check import contract_checked
from symphony.app import create_app
from symphony.clock import Clock
from symphony.settings import Settings

BASE_URL = "http://symphony.test"


@asynccontextmanager
async def running_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    environ: dict[str, str] | None = None,
    prepare: Callable[[FastAPI], None] | None = None,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The real app with its lifespan, and a client whose every response is contract-checked.

    `prepare(app)` runs before the lifespan starts (e.g. to add a test-only route)."""
    app = create_app(settings, clock=clock, environ={} if environ is None else environ)
    if prepare is not None:
        prepare(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=contract_checked(app))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield app, client


ROOT = Path(__file__).resolve().parents[1]
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


@asynccontextmanager
async def running_demo(settings: Settings) -> AsyncIterator[Demo]:
    """Start the demo app (lifespan included) and yield clients for it and its simulator."""
    async with running_app(settings) as (app, client):
        sim_base = app.state.symphony.planning.simulated_prefixes[0]
        async with httpx.AsyncClient(base_url=sim_base, timeout=10) as sim:
            yield Demo(app, client, sim)


class LiveServer:
    """The demo app served by uvicorn on a free loopback port."""

    def __init__(self, app: FastAPI, url: str, sim: httpx.AsyncClient) -> None:
        self.app = app
        self.url = url
        self.sim = sim

    @property
    def state(self) -> Any:
        return self.app.state.symphony


async def wait_until(check: Callable[[], bool], what: str, deadline_s: float = 30.0) -> None:
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
        await wait_until(lambda: server.started or task.done(), "uvicorn to start")
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


Poll = Callable[[Callable[[], Awaitable[bool]], str], Awaitable[None]]


async def poll_until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Re-run `check` until it is true; fail after a generous deadline (never a timing assert)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 20.0
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
