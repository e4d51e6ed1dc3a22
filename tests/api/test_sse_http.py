"""GET /events over a real uvicorn server: filtered live events and Last-Event-ID replay."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from contract_check import contract_checked
from symphony.app import create_app
from symphony.clock import FixedClock
from symphony.settings import Settings


@pytest.fixture
async def server(settings: Settings, clock: FixedClock) -> AsyncIterator[tuple[str, Any]]:
    """The app under uvicorn on a free loopback port; yields (base URL, Services)."""
    app = create_app(settings, clock=clock, environ={})
    config = uvicorn.Config(
        contract_checked(app, raise_violations=False),  # a violation fails at teardown
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
        access_log=False,
    )
    config.install_signal_handlers = False  # type: ignore[attr-defined]
    srv = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    for _ in range(200):
        if srv.started:
            break
        await asyncio.sleep(0.025)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", app.state.symphony
    finally:
        srv.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


async def read_events(response: httpx.Response, want: int) -> list[dict[str, Any]]:
    """Parse SSE frames until `want` events (comments are recorded as {"comment": ...})."""
    out: list[dict[str, Any]] = []
    frame: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if line == "":
            if frame:
                out.append(frame)
                frame = {}
                if sum("event" in f for f in out) >= want:
                    return out
            continue
        if line.startswith(":"):
            out.append({"comment": line[1:].strip()})
            continue
        name, _, value = line.partition(":")
        frame[name] = value.removeprefix(" ")
    return out


def bump_policy(policy_dir: Path, version: int) -> None:
    path = policy_dir / "router.policy.yml"
    text = path.read_text()
    lines = [
        f"  version: {version}" if line.startswith("  version:") else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


async def test_sse_filters_types_and_replays_after_last_event_id(
    server: tuple[str, Any], policy_dir: Path
) -> None:
    base, state = server
    timeout = httpx.Timeout(10.0)
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        async with client.stream("GET", "/events", params={"types": "policy.update"}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            # A plan happens (filtered out), then a policy change (delivered).
            plan = await client.post("/route/plan", json={"task": "qa"})
            assert plan.status_code == 200
            bump_policy(policy_dir, 3)
            reload = await client.post("/policy/reload")
            assert reload.json()["changed"] is True
            frames = await read_events(stream, want=1)
        assert frames[:2] == [{"comment": "connected"}, {"retry": "3000"}]
        events = [f for f in frames if "event" in f]
        assert [e["event"] for e in events] == ["policy.update"]
        first = events[0]
        data = orjson.loads(first["data"])
        assert data["type"] == "policy.update"
        assert data["version"] == reload.json()["version"]
        assert data["at"] == "2026-11-22T17:00:00Z"
        first_id = int(first["id"])

        # While disconnected: another change and more plans.
        bump_policy(policy_dir, 4)
        second = (await client.post("/policy/reload")).json()
        await client.post("/route/plan", json={"task": "qa"})

        headers = {"Last-Event-ID": str(first_id)}
        params = {"types": "policy.update"}
        async with client.stream("GET", "/events", params=params, headers=headers) as stream:
            frames = await read_events(stream, want=1)
        replayed = [f for f in frames if "event" in f]
        assert [e["event"] for e in replayed] == ["policy.update"]
        assert int(replayed[0]["id"]) > first_id
        assert orjson.loads(replayed[0]["data"])["version"] == second["version"]

        # An id the server never issued (say, from before a restart) gets a reset.
        headers = {"Last-Event-ID": "999999"}
        async with client.stream("GET", "/events", headers=headers) as stream:
            frames = await read_events(stream, want=1)
        reset = next(f for f in frames if "event" in f)
        assert reset["event"] == "reset"
        assert orjson.loads(reset["data"])["type"] == "reset"
    assert state.bus.published_total >= 4


async def test_stream_opens_with_a_comment_before_any_event(server: tuple[str, Any]) -> None:
    base, _state = server
    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10.0)) as client,
        client.stream("GET", "/events") as stream,
    ):
        first = await asyncio.wait_for(anext(stream.aiter_lines()), 5)
    assert first.startswith(":")
