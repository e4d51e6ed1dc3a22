"""A client that hangs up on a non-streaming call while the upstream call is in flight
(issue 11, item 9): the usage charged for the call has its audit record, the one whose id
the ledger row carries.

Two ways to hang up: in process (httpx's ASGI transport runs the handler in the client's
task, so cancelling the client cancels the handler mid-call, as a server that cancels on
disconnect does), and over a socket to uvicorn (which lets the handler run on).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from app_support import Demo, LiveServer, Poll

PRIMARY = "openai/chatgpt-plus"
SIM_PRIMARY = "gpt-4o-mini"
PROMPT = "tell me a long story about the sea"


async def in_flight(server: LiveServer | Demo) -> int:
    body: dict[str, Any] = (await server.sim.get("/_sim/state")).json()
    return int(body["models"][SIM_PRIMARY]["in_flight"])


CALLS = pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/route/execute", {"task": "qa", "input": PROMPT, "loa": 1}),
        ("/v1/chat/completions", {"model": PRIMARY,
                                  "messages": [{"role": "user", "content": PROMPT}]}),
    ],
)  # fmt: skip


async def hang_up(
    server: LiveServer | Demo,
    client: httpx.AsyncClient,
    poll: Poll,
    path: str,
    body: dict[str, Any],
) -> None:
    """Start the call, wait until the (slow) upstream has it, then cancel the client."""
    # The upstream drips its (non-streaming) body slowly: the call stays in flight.
    response = await server.sim.post(
        "/_sim/faults", json={"model": SIM_PRIMARY, "kind": "slow_drip", "delay_s": 0.3}
    )
    assert response.status_code == 200

    async def upstream_busy() -> bool:
        return await in_flight(server) == 1

    call = asyncio.create_task(client.post(path, json=body))
    await poll(upstream_busy, "the upstream call to start")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def charged_and_audited(
    server: LiveServer | Demo, client: httpx.AsyncClient, poll: Poll
) -> dict[str, Any]:
    """The ledger row of the call and the audit record it names (polled: both may land
    in the background)."""
    windows = server.state.windows

    def charged() -> list[Any]:
        since = datetime.now(UTC) - timedelta(days=1)
        return [e for e in windows.store.load_events(since) if e.model == PRIMARY]

    async def ledger_has_it() -> bool:
        return len(charged()) >= 1

    await poll(ledger_has_it, "the call's usage to reach the ledger")
    [row] = charged()
    assert row.audit_id is not None
    assert row.requests == 1
    audit_id = row.audit_id

    async def audited() -> bool:
        return await server.state.audit.get(audit_id) is not None

    await poll(audited, f"audit record {audit_id} named by the ledger row")
    record = (await client.get(f"/audit/{audit_id}")).json()
    assert record["payload"]["cost_usd"] > 0

    async def released() -> bool:
        return bool(windows.book.live == 0)

    await poll(released, "the call's reservation to be settled")
    return record  # type: ignore[no-any-return]


@CALLS
async def test_a_cancelled_handler_still_writes_the_audit_record_of_what_it_charged(
    demo: Demo, poll: Poll, path: str, body: dict[str, Any]
) -> None:
    await hang_up(demo, demo.client, poll, path, body)
    record = await charged_and_audited(demo, demo.client, poll)
    assert record["payload"]["stopped_reason"] == "client_disconnected"
    assert record["payload"]["attempts"][-1]["outcome"] == "cancelled"
    assert record["payload"]["attempts"][-1]["reason"] == "client went away"


@CALLS
async def test_a_hang_up_over_a_socket_leaves_usage_with_its_audit_record(
    live_server: LiveServer, poll: Poll, path: str, body: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        await hang_up(live_server, client, poll, path, body)
        await charged_and_audited(live_server, client, poll)
