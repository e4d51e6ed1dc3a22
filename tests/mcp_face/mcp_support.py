"""Helpers of the MCP tests: keys of each role, the live server with them, one raw JSON-RPC call.

The app itself comes from tests/app_support.py (`demo_settings`, `running_demo`,
`serve_live`). Imported by tests/mcp_face/conftest.py and its test modules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app_support import LiveServer
from symphony.clock import SystemClock
from symphony.security.keys import KeyStore
from symphony.services import Services

# name -> (role, tenants)
KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "client": ("client", ()),
    "client-restricted": ("client", ("restricted",)),
    "operator": ("operator", ()),
    "operator-restricted": ("operator", ("restricted",)),
}
ACCEPT = "application/json, text/event-stream"


def create_keys(data_dir: Path) -> dict[str, str]:
    """Create every key in KEYS (before the app starts); return name -> secret."""
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

    server: LiveServer
    secrets: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def mcp_url(self) -> str:
        return f"{self.server.url}/mcp/"

    @property
    def state(self) -> Services:
        found: Services = self.server.state
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


async def rpc(
    http: httpx.AsyncClient, url: str, method: str, params: dict[str, Any], **headers: str
) -> httpx.Response:
    """One JSON-RPC request to the MCP endpoint, as the VS Code extension's probe sends it."""
    return await http.post(
        url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        headers={"accept": ACCEPT, **headers},
    )
