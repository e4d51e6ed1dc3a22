"""The /mcp mount in the app: guarded like every route, and off when the setting says so."""

from __future__ import annotations

from pathlib import Path

import httpx
from mcp_support import ACCEPT

from app_support import demo_settings
from symphony.api.permissions import RouteTable, app_routes
from symphony.app import create_app

INIT = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "t", "version": "1"},
}
BODY = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT}


def test_the_mount_needs_a_client_key(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path).replace(auth_enabled=True)
    table = RouteTable(app_routes(create_app(settings)), settings.public_paths)
    for method in ("POST", "GET", "DELETE"):
        guard = table.lookup(method, "/mcp/")
        assert (guard.need, guard.permission) == ("client", "mcp")


async def test_served_in_process_with_the_app_lifespan_each_time_it_runs(tmp_path: Path) -> None:
    app = create_app(demo_settings(tmp_path), environ={})
    for _ in range(2):  # the SDK's session manager runs once: the second lifespan gets a new one
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                r = await http.post("/mcp/", json=BODY, headers={"accept": ACCEPT})
        assert r.status_code == 200, r.text
        assert r.json()["result"]["serverInfo"]["name"] == "symphony"


async def test_turned_off_it_is_not_there(tmp_path: Path) -> None:
    app = create_app(demo_settings(tmp_path).replace(mcp_enabled=False), environ={})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            r = await http.post("/mcp/", json=BODY, headers={"accept": ACCEPT})
    assert r.status_code == 404
