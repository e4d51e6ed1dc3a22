"""The production path: the openai adapter over AiohttpTransport against a real local server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
import pytest
from aiohttp import web

from symphony.providers.base import (
    ChatMessage,
    ChatRequest,
    Provider,
    StreamDelta,
    StreamEnd,
    StreamEvent,
    StreamStart,
    Usage,
)
from symphony.providers.errors import ProviderError
from symphony.providers.registry import make_provider
from symphony.providers.transport import AiohttpTransport

COMPLETION = {
    "id": "chatcmpl-local",
    "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}  # fmt: skip


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    body = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": None}
    return b"data: " + orjson.dumps(body) + b"\n\n"


USAGE_CHUNK = b'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}\n\n'


@dataclass
class Upstream:
    """What the fake upstream saw; tests read it after driving the adapter."""

    base_url: str = ""
    peers: list[tuple[str, int]] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


async def start_sse(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Upstream": "1"})
    await resp.prepare(request)
    return resp


def make_app(upstream: Upstream) -> web.Application:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        upstream.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        model = body["model"]
        if model == "slow":
            await asyncio.wait_for(upstream.release.wait(), 10)
        if not body["stream"]:
            return web.json_response(COMPLETION, headers={"x-ratelimit-remaining-requests": "7"})
        resp = await start_sse(request)
        if model == "reset":
            await resp.write(chunk("Hello") + chunk(" there"))
            request.transport.close()  # type: ignore[union-attr]
            return resp
        if model == "stall":
            await resp.write(chunk("Hi"))
            await asyncio.wait_for(upstream.release.wait(), 10)
            return resp
        if model == "endless":
            try:
                while True:
                    await resp.write(chunk("tick "))
                    await asyncio.sleep(0.005)
            except (ConnectionError, RuntimeError):
                upstream.disconnected.set()
                raise
        for piece in (chunk("Hello"), chunk(" world"), chunk(finish="stop"), USAGE_CHUNK):
            await resp.write(piece)
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()
    runner = web.AppRunner(make_app(state), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base_url = f"http://127.0.0.1:{port}/v1"
    yield state
    state.release.set()
    await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    transport = AiohttpTransport()
    yield transport
    await transport.aclose()


def request(model: str, timeout_s: float = 5.0) -> ChatRequest:
    return ChatRequest(model=model, messages=(ChatMessage("user", "ping"),), timeout_s=timeout_s)


async def drain_until_error(
    provider: Provider, req: ChatRequest
) -> tuple[list[StreamEvent], ProviderError]:
    events: list[StreamEvent] = []
    try:
        async for event in provider.stream(req):
            events.append(event)
    except ProviderError as error:
        return events, error
    raise AssertionError("the stream did not fail")


async def test_complete_reuses_the_pooled_connection(
    upstream: Upstream, transport: AiohttpTransport
) -> None:
    provider = make_provider("openai", upstream.base_url, "sk-local", transport)
    first = await provider.complete(request("gpt-4o-mini"))
    second = await provider.complete(request("gpt-4o-mini"))

    assert first.text == second.text == "pong"
    assert first.usage == Usage(prompt_tokens=5, completion_tokens=1)
    assert first.headers["x-ratelimit-remaining-requests"] == "7"
    assert upstream.peers[0] == upstream.peers[1]  # keep-alive: same client socket


async def test_stream_over_aiohttp(upstream: Upstream, transport: AiohttpTransport) -> None:
    provider = make_provider("openai", upstream.base_url, None, transport)
    events = [e async for e in provider.stream(request("gpt-4o-mini"))]

    assert isinstance(events[0], StreamStart)
    assert events[0].headers["x-upstream"] == "1"
    assert "".join(e.text for e in events if isinstance(e, StreamDelta)) == "Hello world"
    assert events[-1] == StreamEnd(Usage(5, 2), "stop", usage_reported=True)
    # A finished stream hands its connection back to the pool.
    await provider.complete(request("gpt-4o-mini"))
    assert upstream.peers[0] == upstream.peers[1]


async def test_connection_reset_mid_stream_is_unavailable_with_partial_text(
    upstream: Upstream, transport: AiohttpTransport
) -> None:
    provider = make_provider("openai", upstream.base_url, None, transport)
    events, error = await drain_until_error(provider, request("reset"))

    assert isinstance(events[0], StreamStart)
    assert (error.kind, error.retryable) == ("unavailable", True)
    assert error.partial_text == "Hello there"


async def test_slow_upstream_times_out(upstream: Upstream, transport: AiohttpTransport) -> None:
    provider = make_provider("openai", upstream.base_url, None, transport)
    with pytest.raises(ProviderError) as info:
        await provider.complete(request("slow", timeout_s=0.2))
    assert (info.value.kind, info.value.retryable) == ("timeout", True)
    assert "timed out after 0.2s" in info.value.message


async def test_silent_stream_times_out_with_partial_text(
    upstream: Upstream, transport: AiohttpTransport
) -> None:
    provider = make_provider("openai", upstream.base_url, None, transport)
    _, error = await drain_until_error(provider, request("stall", timeout_s=0.2))
    assert (error.kind, error.partial_text) == ("timeout", "Hi")


async def test_connection_refused_is_unavailable(transport: AiohttpTransport) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/v1"
    provider = make_provider("openai", base, None, transport)
    with pytest.raises(ProviderError) as info:
        await provider.complete(request("gpt-4o-mini"))
    assert (info.value.kind, info.value.status, info.value.retryable) == ("unavailable", None, True)
    assert info.value.message.startswith(f"openai upstream {base} connection failed")


async def test_closing_a_stream_closes_the_upstream_connection(
    upstream: Upstream, transport: AiohttpTransport
) -> None:
    provider = make_provider("openai", upstream.base_url, None, transport)
    stream = provider.stream(request("endless"))
    seen = 0
    async for event in stream:
        seen += isinstance(event, StreamDelta)
        if seen == 2:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(upstream.disconnected.wait(), 5)


async def test_cancelling_a_stream_consumer_closes_the_upstream_connection(
    upstream: Upstream, transport: AiohttpTransport
) -> None:
    provider = make_provider("openai", upstream.base_url, None, transport)
    got_text = asyncio.Event()

    async def consume() -> None:
        async for event in provider.stream(request("endless")):
            if isinstance(event, StreamDelta):
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(upstream.disconnected.wait(), 5)
