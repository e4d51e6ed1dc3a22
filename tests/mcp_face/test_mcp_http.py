"""/mcp/ over real HTTP: uvicorn on a free loopback port, authentication on, real keys.

The official MCP client (Streamable HTTP) and raw JSON-RPC requests like the VS Code
extension's probe; the same key, role and tenant rules as every REST endpoint.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp_support import Live, rpc

from symphony.mcp.tools import tool_specs
from symphony.security.roles import PERMISSION_ROLE

PLAN = {"task": "qa", "input": "hello", "loa": 1}
INIT = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "symphony-ops", "version": "probe"},
}


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    error: dict[str, Any] = result.structured_content["error"]
    return error


async def test_a_client_key_plans_and_executes_and_is_the_audited_actor(live: Live) -> None:
    async with live.mcp("client") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        planned = await client.call_tool("plan", PLAN)
        executed = await client.call_tool("execute", {**PLAN, "input": "say hello"})
        models = await client.call_tool("models", {})
    # Operator tools are not offered to a client key.
    assert tools == {s.name for s in tool_specs() if PERMISSION_ROLE[s.permission] == "client"}
    assert {"plan", "execute", "models", "health", "burndown"} <= tools
    assert "audit_record" not in tools
    assert not planned.is_error
    assert not executed.is_error
    assert not models.is_error
    record = await live.state.audit.get(executed.structured_content["audit_id"])
    assert record is not None
    assert record.actor == "client"
    plans = await live.state.audit.query(type="route.plan")
    assert [(r.actor, r.payload["plan_id"]) for r in plans] == [
        ("client", planned.structured_content["plan_id"])
    ]


async def test_no_key_or_a_wrong_key_gets_401(live: Live) -> None:
    async with httpx.AsyncClient() as http:
        missing = await rpc(http, live.mcp_url, "initialize", INIT)
        wrong = await rpc(
            http, live.mcp_url, "initialize", INIT, authorization="Bearer sk_not_a_key"
        )
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="symphony"'
    assert missing.json()["error"]["code"] == "unauthorized"
    assert wrong.status_code == 401
    assert "invalid or revoked API key" in wrong.json()["error"]["message"]
    # The official client cannot connect either (the SDK reports the refusal as an MCPError).
    with pytest.raises(BaseException) as failed:
        async with live.mcp(None) as client:
            await client.list_tools()
    assert "Server returned an error response" in messages(failed.value)


def messages(exc: BaseException) -> list[str]:
    """The messages of `exc` and every exception inside it (groups, causes)."""
    found = [str(exc)]
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found += messages(inner)
    if exc.__cause__ is not None:
        found += messages(exc.__cause__)
    return found


async def test_a_client_key_cannot_call_operator_tools(live: Live) -> None:
    async with live.mcp("operator") as operator:
        executed = await operator.call_tool("execute", {**PLAN, "input": "x"})
        audit_id = executed.structured_content["audit_id"]
        seen = await operator.call_tool("audit_record", {"audit_id": audit_id})
        operator_tools = {t.name for t in (await operator.list_tools()).tools}
    assert "audit_record" in operator_tools
    assert seen.structured_content["id"] == audit_id
    async with live.mcp("client") as client:
        refused = await client.call_tool("audit_record", {"audit_id": audit_id})
    error = error_of(refused)
    assert (error["code"], error["status"]) == ("forbidden", 403)
    assert refused.content[0].text.splitlines()[0] == (
        "forbidden: tool 'audit_record' needs the operator role (audit.read); "
        "key 'client' has the client role"
    )


async def test_tenant_binding_applies_to_every_tool(live: Live) -> None:
    async with live.mcp("client-restricted") as bound:
        other = await bound.call_tool("plan", {**PLAN, "tenant": "default"})
        own = await bound.call_tool("plan", {"task": "qa", "input": "hi", "loa": 0})
        matrix = await bound.call_tool("models", {"tenant": "default"})
    error = error_of(other)
    assert error["code"] == "forbidden"
    assert "may not act for tenant 'default' (allowed: restricted)" in error["message"]
    assert error_of(matrix)["code"] == "forbidden"
    # An omitted tenant is the key's one tenant.
    assert not own.is_error, own.content[0].text
    assert own.structured_content["policy"]["tenant"] == "restricted"
    # Audit records of other tenants do not exist for a tenant-bound operator key.
    async with live.mcp("operator") as operator:
        executed = await operator.call_tool("execute", {**PLAN, "input": "x"})
    async with live.mcp("operator-restricted") as restricted:
        hidden = await restricted.call_tool(
            "audit_record", {"audit_id": executed.structured_content["audit_id"]}
        )
    assert error_of(hidden)["code"] == "not_found"


async def test_the_extension_probe_and_plain_http_details(live: Live) -> None:
    key = live.headers("client")
    async with httpx.AsyncClient(headers=key) as http:
        init = await rpc(http, live.mcp_url, "initialize", INIT)
        listed = await rpc(
            http, live.mcp_url, "tools/list", {}, **{"mcp-protocol-version": "2025-06-18"}
        )
        no_slash = await http.post(f"{live.url}/mcp", json={})
        rebinding = await rpc(http, live.mcp_url, "initialize", INIT, host="evil.example")
        browser = await rpc(http, live.mcp_url, "initialize", INIT, origin="https://evil.example")
    # Stateless: no session id, plain JSON answers (any replica can answer the next request).
    assert init.status_code == 200, init.text
    assert init.headers["content-type"].startswith("application/json")
    assert "mcp-session-id" not in init.headers
    result = init.json()["result"]
    assert result["protocolVersion"] == "2025-06-18"
    assert result["serverInfo"]["name"] == "symphony"
    assert listed.status_code == 200
    assert {t["name"] for t in listed.json()["result"]["tools"]} >= {"plan", "execute", "models"}
    assert (no_slash.status_code, no_slash.headers["location"]) == (307, f"{live.url}/mcp/")
    # Bound to loopback: DNS-rebinding protection refuses other Host and Origin values.
    assert rebinding.status_code == 421
    assert browser.status_code == 403
