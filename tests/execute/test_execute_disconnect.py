"""A client that leaves mid-stream: the upstream call is closed and the usage still counted.

Runs the demo app under a real uvicorn server: httpx's ASGI transport cannot hang up
half-way through a response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from conftest import LiveServer, Poll

PRIMARY = "openai/chatgpt-plus"
SIM_PRIMARY = "gpt-4o-mini"
BODY = {"task": "qa", "input": "tell me a long story about the sea", "loa": 1, "stream": True}


async def sim_model(server: LiveServer) -> dict[str, Any]:
    body: dict[str, Any] = (await server.sim.get("/_sim/state")).json()
    return body["models"][SIM_PRIMARY]  # type: ignore[no-any-return]


async def test_disconnect_mid_stream_closes_the_upstream_and_accounts_the_usage(
    live_server: LiveServer, poll: Poll
) -> None:
    # Each upstream event waits 0.3 s: the whole answer would take seconds more.
    response = await live_server.sim.post(
        "/_sim/faults", json={"model": SIM_PRIMARY, "kind": "slow_drip", "delay_s": 0.3}
    )
    assert response.status_code == 200

    deltas: list[str] = []
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=30) as client,
        client.stream("POST", "/route/execute", json=BODY) as stream,
    ):
        assert stream.status_code == 200
        event = None
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "delta":
                deltas.append(line)
                if len(deltas) == 2:
                    break  # leaving both contexts hangs up on the server
    assert len(deltas) == 2

    async def upstream_ended() -> bool:
        return (await sim_model(live_server))["in_flight"] == 0

    async def usage_recorded() -> bool:
        return live_server.state.windows.index.model(PRIMARY).total(0, 1e12, "requests") >= 1

    await poll(upstream_ended, "the simulator to see the upstream request end")
    await poll(usage_recorded, "the partial usage to reach the ledger")

    sim = await sim_model(live_server)
    # Symphony hung up on the upstream: it did not drip on to the end of its answer.
    assert sim["requests"] == 1
    assert sim["abandoned"] == 1
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        window = (await client.get(f"/models/{PRIMARY}")).json()["window"]
        burndown = (await client.get("/status/burndown.json")).json()["windows"]["h1"][PRIMARY]
    assert window["used"] == 1
    # Prompt plus the completion seen so far (an estimate), less than the full answer.
    assert burndown["requests"] == 1
    full_answer = f"Simulated {SIM_PRIMARY} answer: {BODY['input']}"
    assert sim["prompt_tokens"] < burndown["tokens"] < sim["prompt_tokens"] + len(full_answer) / 4
    assert burndown["cost_usd"] > 0
    # The execution is concluded for the record although nobody reads the result.
    [executed] = [e.data() for e in live_server.state.bus.buffer if e.type == "route.execute"]
    assert executed["stopped_reason"] == "client_disconnected"


async def test_a_v1_client_that_hangs_up_mid_stream_still_gets_its_audit_record(
    live_server: LiveServer, poll: Poll
) -> None:
    """Issue 11 item 9: the ledger row and the audit record named by x-symphony-audit-id."""
    response = await live_server.sim.post(
        "/_sim/faults", json={"model": SIM_PRIMARY, "kind": "slow_drip", "delay_s": 0.3}
    )
    assert response.status_code == 200
    body = {
        "model": PRIMARY,
        "stream": True,
        "messages": [{"role": "user", "content": "tell me a long story about the sea"}],
    }
    chunks = 0
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=body) as stream,
    ):
        assert stream.status_code == 200
        audit_id = stream.headers["x-symphony-audit-id"]
        async for line in stream.aiter_lines():
            if line.startswith("data:") and '"content"' in line:
                chunks += 1
                if chunks == 2:
                    break  # hang up
    assert chunks == 2

    async def ledger_has_it() -> bool:
        return live_server.state.windows.index.model(PRIMARY).total(0, 1e12, "requests") >= 1

    async with httpx.AsyncClient(base_url=live_server.url) as client:

        async def audited() -> bool:
            return (await client.get(f"/audit/{audit_id}")).status_code == 200

        await poll(ledger_has_it, "the usage to reach the ledger")
        await poll(audited, f"audit record {audit_id}")
        record = (await client.get(f"/audit/{audit_id}")).json()
        listed = (await client.get("/audit", params={"limit": 50})).json()
    assert record["payload"]["stopped_reason"] == "client_disconnected"
    assert record["payload"]["attempts"][-1]["outcome"] == "cancelled"
    assert record["payload"]["cost_usd"] > 0
    assert audit_id in str(listed)
    assert live_server.state.windows.book.live == 0
