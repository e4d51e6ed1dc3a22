"""The openai adapter against the documented Chat Completions wire format (respx + httpx)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import respx
from wire_support import drain_until_error, fixture_bytes

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
from symphony.providers.transport import HttpxTransport

BASE = "http://127.0.0.1:4000/v1"
URL = f"{BASE}/chat/completions"
KEY = "sk-test-openai-5f2a9c"

REQ = ChatRequest(
    model="gpt-4o-mini",
    messages=(ChatMessage("system", "Be brief."), ChatMessage("user", "Say hello")),
    max_tokens=64,
    temperature=0.2,
    top_p=0.9,
)


def sse(*chunks: dict[str, Any] | str) -> bytes:
    out = b""
    for chunk in chunks:
        data = chunk.encode() if isinstance(chunk, str) else orjson.dumps(chunk)
        out += b"data: " + data + b"\n\n"
    return out


def chunk(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        "usage": None,
    }


class BrokenStream(httpx.AsyncByteStream):
    """Yields some bytes, then the connection drops."""

    def __init__(self, head: bytes) -> None:
        self._head = head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._head
        raise httpx.ReadError("connection reset by peer")


async def drain(provider: Provider, req: ChatRequest = REQ) -> list[StreamEvent]:
    return [event async for event in provider.stream(req)]


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    transport = HttpxTransport()
    yield make_provider("openai", BASE, KEY, transport)
    await transport.aclose()


async def test_complete_sends_documented_request_and_parses_usage(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(URL).mock(
        return_value=httpx.Response(
            200,
            content=fixture_bytes("openai_completion.json"),
            headers={"Content-Type": "application/json", "X-RateLimit-Remaining-Requests": "59"},
        )
    )
    result = await provider.complete(REQ)

    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert orjson.loads(sent.content) == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"},
        ],
        "max_tokens": 64,
        "temperature": 0.2,
        "top_p": 0.9,
        "stream": False,
    }
    assert result.text == "Hello! How can I assist you today?"
    assert result.usage == Usage(prompt_tokens=19, completion_tokens=10)
    assert result.finish_reason == "stop"
    assert result.status == 200
    assert result.headers["x-ratelimit-remaining-requests"] == "59"


async def test_unset_options_and_missing_key_are_not_sent(mock: respx.MockRouter) -> None:
    route = mock.post("http://localhost:11434/v1/chat/completions").mock(
        return_value=httpx.Response(200, content=fixture_bytes("openai_completion.json"))
    )
    transport = HttpxTransport()
    local = make_provider("openai", "http://localhost:11434/v1/", None, transport)
    await local.complete(ChatRequest(model="llama3.2", messages=(ChatMessage("user", "hi"),)))
    await transport.aclose()

    sent = route.calls.last.request
    assert "authorization" not in sent.headers
    assert set(orjson.loads(sent.content)) == {"model", "messages", "stream"}


async def test_stream_requests_usage_and_parses_chunks_comments_and_done(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(URL).mock(
        return_value=httpx.Response(
            200,
            content=fixture_bytes("openai_stream.sse"),
            headers={"content-type": "text/event-stream", "x-request-id": "req_1"},
        )
    )
    events = await drain(provider)

    body = orjson.loads(route.calls.last.request.content)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert route.calls.last.request.headers["accept"] == "text/event-stream"
    assert isinstance(events[0], StreamStart)
    assert events[0].headers["x-request-id"] == "req_1"
    assert [e.text for e in events if isinstance(e, StreamDelta)] == ["Hello", " there!"]
    assert events[-1] == StreamEnd(
        usage=Usage(prompt_tokens=9, completion_tokens=3), finish_reason="stop", usage_reported=True
    )


async def test_stream_tolerates_null_or_missing_choices(
    provider: Provider, mock: respx.MockRouter
) -> None:
    usage_chunk = {
        "id": "c",
        "choices": None,
        "usage": {"prompt_tokens": 4, "completion_tokens": 2},
    }
    body = sse(chunk("Hi"), {"id": "c", "object": "chat.completion.chunk"}, chunk(finish="stop"))
    body += b"\r\n" + sse(usage_chunk, "[DONE]")
    mock.post(URL).mock(return_value=httpx.Response(200, content=body))

    events = await drain(provider)

    assert [e.text for e in events if isinstance(e, StreamDelta)] == ["Hi"]
    assert events[-1] == StreamEnd(Usage(4, 2), "stop", usage_reported=True)


async def test_stream_without_usage_chunk_reports_an_estimate(
    provider: Provider, mock: respx.MockRouter
) -> None:
    mock.post(URL).mock(
        return_value=httpx.Response(200, content=sse(chunk("abcdefghi"), chunk(finish="length")))
    )
    end = (await drain(provider))[-1]

    prompt_chars = len("Be brief.") + len("Say hello")
    assert end == StreamEnd(
        usage=Usage(math.ceil(prompt_chars / 4), math.ceil(9 / 4)),
        finish_reason="length",
        usage_reported=False,
    )


def error_body(message: str, etype: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "retryable"),
    [
        (429, error_body("Rate limit reached for gpt-4o-mini", "requests", "rate_limit_exceeded"),
         "rate_limited", True),
        (500, error_body("The server had an error", "server_error", None), "unavailable", True),
        (503, error_body("The engine is currently overloaded", "server_error", None),
         "unavailable", True),
        (401, error_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
         "auth", False),
        (403, error_body("Country not supported", "invalid_request_error", None), "auth", False),
        (404, error_body("The model `gpt-9` does not exist", "invalid_request_error",
                         "model_not_found"), "bad_request", False),
        (422, {"detail": [{"loc": ["body", "messages"], "msg": "field required"}]},
         "bad_request", False),
        (400, error_body("This model's maximum context length is 128000 tokens. However, your "
                         "messages resulted in 130000 tokens.", "invalid_request_error",
                         "context_length_exceeded"), "context_length", False),
        (400, error_body("Your request was rejected as a result of our safety system.",
                         "invalid_request_error", "content_policy_violation"),
         "content_policy", False),
        (400, {"error": {"message": "The response was filtered", "code": "content_filter",
                         "status": 400}}, "content_policy", False),
    ],
)  # fmt: skip
async def test_http_errors_are_classified(
    provider: Provider,
    mock: respx.MockRouter,
    status: int,
    body: dict[str, Any],
    kind: str,
    retryable: bool,
) -> None:
    raw = orjson.dumps(body)
    mock.post(URL).mock(return_value=httpx.Response(status, content=raw))

    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)

    error = info.value
    assert (error.kind, error.status, error.retryable) == (kind, status, retryable)
    assert error.message.startswith(f"openai upstream {BASE} answered {status}: ")
    assert error.body == raw


async def test_rate_limit_keeps_headers_and_body_for_the_caller(
    provider: Provider, mock: respx.MockRouter
) -> None:
    raw = orjson.dumps(error_body("Rate limit reached", "tokens", "rate_limit_exceeded"))
    mock.post(URL).mock(
        return_value=httpx.Response(
            429,
            content=raw,
            headers={"Retry-After": "20", "x-ratelimit-reset-tokens": "6m0s"},
        )
    )
    _, error = await drain_until_error(provider, REQ)  # streams fail before StreamStart

    assert error.kind == "rate_limited"
    assert error.headers["retry-after"] == "20"
    assert error.headers["x-ratelimit-reset-tokens"] == "6m0s"
    assert error.body == raw
    assert "Rate limit reached" in error.message


async def test_long_upstream_messages_are_truncated(
    provider: Provider, mock: respx.MockRouter
) -> None:
    mock.post(URL).mock(return_value=httpx.Response(502, text="<html>" + "x" * 5000))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert info.value.kind == "unavailable"
    assert len(info.value.message) < 400


async def test_malformed_json_is_unavailable(provider: Provider, mock: respx.MockRouter) -> None:
    mock.post(URL).mock(return_value=httpx.Response(200, content=b'{"choices": [{"mess'))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert (info.value.kind, info.value.status, info.value.retryable) == ("unavailable", 200, True)
    assert "malformed" in info.value.message


async def test_content_filter_finish_is_a_content_policy_error(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = {
        "choices": [{"index": 0, "message": {"content": "Par"}, "finish_reason": "content_filter"}]
    }
    mock.post(URL).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert info.value.kind == "content_policy"
    assert info.value.partial_text == "Par"


async def test_truncated_stream_is_unavailable_with_partial_text(
    provider: Provider, mock: respx.MockRouter
) -> None:
    mock.post(URL).mock(return_value=httpx.Response(200, content=sse(chunk("Hel"), chunk("lo"))))
    events, error = await drain_until_error(provider, REQ)

    assert isinstance(events[0], StreamStart)
    assert [e.text for e in events if isinstance(e, StreamDelta)] == ["Hel", "lo"]
    assert (error.kind, error.retryable, error.partial_text) == ("unavailable", True, "Hello")


async def test_connection_reset_mid_stream_is_unavailable_with_partial_text(
    provider: Provider, mock: respx.MockRouter
) -> None:
    head = sse(chunk("Hello"), chunk(" wor"))
    mock.post(URL).mock(return_value=httpx.Response(200, stream=BrokenStream(head)))
    _, error = await drain_until_error(provider, REQ)

    assert (error.kind, error.partial_text) == ("unavailable", "Hello wor")
    assert error.message.startswith(f"openai upstream {BASE} connection failed")


async def test_error_chunk_mid_stream_is_classified(
    provider: Provider, mock: respx.MockRouter
) -> None:
    err = {
        "error": {"code": 429, "message": "Rate limit exceeded upstream"},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
    }
    mock.post(URL).mock(return_value=httpx.Response(200, content=sse(chunk("Par"), err)))
    _, error = await drain_until_error(provider, REQ)

    assert (error.kind, error.partial_text) == ("rate_limited", "Par")
    assert "Rate limit exceeded upstream" in error.message


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "unavailable"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."),
         "unavailable"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
    ],
)  # fmt: skip
async def test_transport_failures_are_classified(
    provider: Provider, mock: respx.MockRouter, exc: Exception, kind: str
) -> None:
    mock.post(URL).mock(side_effect=exc)
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert (info.value.kind, info.value.status, info.value.retryable) == (kind, None, True)
    _, error = await drain_until_error(provider, REQ)
    assert error.kind == kind
