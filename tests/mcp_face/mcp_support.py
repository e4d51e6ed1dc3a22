"""Helpers of the MCP tests: demo settings, keys, the live server, one raw JSON-RPC call.

Imported by tests/mcp/conftest.py and the test modules (not a test module itself).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import uvicorn
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from contract_check import contract_checked
from symphony.app import create_app
from symphony.clock import SystemClock
from symphony.security.keys import KeyStore
from symphony.services import Services
from symphony.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEMO_POLICY = ROOT / "config" / "demo.policy.yml"
# name -> (role, tenants)
KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "client": ("client", ()),
    "client-restricted": ("client", ("restricted",)),
    "operator": ("operator", ()),
    "operator-restricted": ("operator", ("restricted",)),
}
ACCEPT = "application/json, text/event-stream"


def demo_settings(tmp: Path, **changes: Any) -> Settings:
    """Demo-mode settings whose policy copy and data live under `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    policy = tmp / "demo.policy.yml"
    if not policy.exists():
        shutil.copy(DEMO_POLICY, policy)
    defaults: dict[str, Any] = {
        "demo": True,
        "policy_file": policy,
        "windows_file": None,
        "data_dir": tmp / "data",
        "simulator_port": 0,
        "auth_enabled": False,
        "watch_policy": False,
        "health_probe_interval_s": 3600,
        "health_probe_timeout_s": 0.5,
    }
    return Settings().replace(**{**defaults, **changes})


def create_keys(data_dir: Path) -> dict[str, str]:
    """Create every key in KEYS; return name -> secret."""
    store = KeyStore.open(data_dir, SystemClock())
    try:
        return {
            name: store.create(name=name, role=role, tenants=tenants)[1]
            for name, (role, tenants) in KEYS.items()
        }
    finally:
        store.close()


@dataclass
class Live:
    """The demo app under uvicorn with auth on; `secrets` holds a key per KEYS entry."""

    app: FastAPI
    url: str
    secrets: dict[str, str]

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp/"

    @property
    def state(self) -> Services:
        found: Services = self.app.state.symphony
        return found

    def headers(self, key: str | None) -> dict[str, str]:
        return {} if key is None else {"Authorization": f"Bearer {self.secrets[key]}"}

    @asynccontextmanager
    async def mcp(self, key: str | None) -> AsyncIterator[Client]:
        """The official MCP client over Streamable HTTP, sending `key` as a bearer token."""
        async with (
            httpx2.AsyncClient(headers=self.headers(key), timeout=30) as http,
            Client(streamable_http_client(self.mcp_url, http_client=http)) as client,
        ):
            yield client


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Live]:
    """Keys first, then the app under uvicorn on a free loopback port (port 0)."""
    secrets = create_keys(settings.data_dir)
    app = create_app(settings, environ={})
    config = uvicorn.Config(
        contract_checked(app, raise_violations=False),  # a violation fails at teardown
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while not server.started and not task.done():
            assert loop.time() < end, "uvicorn did not start"
            await asyncio.sleep(0.02)
        if task.done():
            task.result()
            raise AssertionError("uvicorn stopped before it started")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Live(app, f"http://127.0.0.1:{port}", secrets)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def rpc(
    http: httpx.AsyncClient, url: str, method: str, params: dict[str, Any], **headers: str
) -> httpx.Response:
    """One JSON-RPC request to the MCP endpoint, as the VS Code extension's probe sends it."""
    return await http.post(
        url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        headers={"accept": ACCEPT, **headers},
    )
