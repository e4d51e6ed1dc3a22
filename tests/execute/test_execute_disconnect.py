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
    # No result was produced for the vanished client: no route.execute event.
    assert not [e for e in live_server.state.bus.buffer if e.type == "route.execute"]
