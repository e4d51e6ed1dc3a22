"""The anthropic adapter against the documented Messages API wire format (respx + httpx)."""

from __future__ import annotations

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
    StreamStart,
    Usage,
)
from symphony.providers.errors import ProviderError
from symphony.providers.registry import make_provider
from symphony.providers.transport import HttpxTransport

BASE = "http://127.0.0.1:4100"
URL = f"{BASE}/v1/messages"
KEY = "sk-ant-api03-test-7c1d"

REQ = ChatRequest(
    model="claude-sonnet-4-20250514",
    messages=(
        ChatMessage("system", "You are terse."),
        ChatMessage("user", "Hello"),
        ChatMessage("assistant", "Hi."),
        ChatMessage("system", "Answer in English."),
        ChatMessage("user", "How are you?"),
    ),
    temperature=0.5,
)


def events_body(*events: dict[str, Any]) -> bytes:
    out = b""
    for event in events:
        out += f"event: {event['type']}\n".encode() + b"data: " + orjson.dumps(event) + b"\n\n"
    return out


MESSAGE_START = {
    "type": "message_start",
    "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [],
                "usage": {"input_tokens": 25, "output_tokens": 1}},
}  # fmt: skip


def text_delta(text: str) -> dict[str, Any]:
    return {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": text},
    }


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    transport = HttpxTransport()
    yield make_provider("anthropic", BASE, KEY, transport)
    await transport.aclose()


async def test_complete_sends_messages_request_with_system_on_top(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(URL).mock(
        return_value=httpx.Response(200, content=fixture_bytes("anthropic_message.json"))
    )
    result = await provider.complete(REQ)

    sent = route.calls.last.request
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["content-type"] == "application/json"
    assert "authorization" not in sent.headers
    assert orjson.loads(sent.content) == {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 4096,  # required by the API; defaulted when nothing gives a limit
        "system": "You are terse.\n\nAnswer in English.",
        "messages": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi."},
            {"role": "user", "content": "How are you?"},
        ],
        "temperature": 0.5,
        "stream": False,
    }
    assert result.text == "Hello! How can I help you today?"
    assert result.usage == Usage(prompt_tokens=12, completion_tokens=11)
    assert result.finish_reason == "stop"  # end_turn, in the OpenAI vocabulary


async def test_explicit_max_tokens_and_base_url_ending_in_v1(mock: respx.MockRouter) -> None:
    route = mock.post(URL).mock(
        return_value=httpx.Response(200, content=fixture_bytes("anthropic_message.json"))
    )
    transport = HttpxTransport()
    provider = make_provider("anthropic", f"{BASE}/v1", KEY, transport)
    req = ChatRequest(model="claude-3-5-haiku-20241022", messages=(ChatMessage("user", "x"),),
                      max_tokens=50, top_p=0.8)  # fmt: skip
    await provider.complete(req)
    await transport.aclose()

    body = orjson.loads(route.calls.last.request.content)
    assert body["max_tokens"] == 50
    assert body["top_p"] == 0.8
    assert "system" not in body


async def test_cache_tokens_count_as_prompt_and_stop_reasons_are_normalised(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = {
        "type": "message",
        "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Sure"}],
        "stop_reason": "max_tokens",
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 200,
                  "cache_read_input_tokens": 3000, "output_tokens": 7},
    }  # fmt: skip
    mock.post(URL).mock(return_value=httpx.Response(200, json=body))
    result = await provider.complete(REQ)
    assert result.text == "Sure"
    assert result.usage == Usage(prompt_tokens=3210, completion_tokens=7)
    assert result.finish_reason == "length"


async def test_stream_parses_event_sequence_with_ping_and_cumulative_usage(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(URL).mock(
        return_value=httpx.Response(
            200,
            content=fixture_bytes("anthropic_stream.sse"),
            headers={"content-type": "text/event-stream", "request-id": "req_018"},
        )
    )
    events = [event async for event in provider.stream(REQ)]

    assert orjson.loads(route.calls.last.request.content)["stream"] is True
    assert isinstance(events[0], StreamStart)
    assert events[0].headers["request-id"] == "req_018"
    assert [e.text for e in events if isinstance(e, StreamDelta)] == ["Hello", "!"]
    # Two message_delta events (10 then 15 output tokens): the last one wins, no summing.
    assert events[-1] == StreamEnd(
        usage=Usage(prompt_tokens=25, completion_tokens=15),
        finish_reason="stop",
        usage_reported=True,
    )


async def test_error_event_mid_stream_raises_with_partial_text_and_usage(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = events_body(
        MESSAGE_START,
        text_delta("Once upon"),
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    mock.post(URL).mock(return_value=httpx.Response(200, content=body))
    events, error = await drain_until_error(provider, REQ)

    assert [e.text for e in events if isinstance(e, StreamDelta)] == ["Once upon"]
    assert (error.kind, error.retryable, error.status) == ("rate_limited", True, None)
    assert error.partial_text == "Once upon"
    assert error.partial_usage == Usage(prompt_tokens=25, completion_tokens=1)
    assert "Overloaded" in error.message


async def test_truncated_stream_is_unavailable(provider: Provider, mock: respx.MockRouter) -> None:
    body = events_body(MESSAGE_START, text_delta("Partial"))
    mock.post(URL).mock(return_value=httpx.Response(200, content=body))
    _, error = await drain_until_error(provider, REQ)
    assert (error.kind, error.partial_text) == ("unavailable", "Partial")


async def test_refusal_is_a_content_policy_error(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = events_body(
        MESSAGE_START,
        text_delta("I can"),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "refusal"},
            "usage": {"output_tokens": 3},
        },
        {"type": "message_stop"},
    )
    mock.post(URL).mock(return_value=httpx.Response(200, content=body))
    _, error = await drain_until_error(provider, REQ)
    assert (error.kind, error.partial_text) == ("content_policy", "I can")


def anthropic_error(etype: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": etype, "message": message},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "body", "kind", "retryable"),
    [
        (529, anthropic_error("overloaded_error", "Overloaded"), "rate_limited", True),
        (429, anthropic_error("rate_limit_error", "Number of request tokens has exceeded your "
                              "per-minute rate limit"), "rate_limited", True),
        (500, anthropic_error("api_error", "Internal server error"), "unavailable", True),
        (503, b"upstream connect error or disconnect/reset before headers", "unavailable", True),
        (401, anthropic_error("authentication_error", "invalid x-api-key"), "auth", False),
        (403, anthropic_error("permission_error", "no access to model"), "auth", False),
        (404, anthropic_error("not_found_error", "model: claude-9"), "bad_request", False),
        (400, anthropic_error("invalid_request_error", "prompt is too long: 210384 tokens > "
                              "200000 maximum"), "context_length", False),
        (400, anthropic_error("invalid_request_error", "input length and `max_tokens` exceed "
                              "context limit: 197626 + 8192 > 200000"), "context_length", False),
        (400, anthropic_error("invalid_request_error", "Output blocked by content filtering "
                              "policy"), "content_policy", False),
        (400, anthropic_error("invalid_request_error", "messages: roles must alternate"),
         "bad_request", False),
    ],
)  # fmt: skip
async def test_http_errors_are_classified(
    provider: Provider,
    mock: respx.MockRouter,
    status: int,
    body: dict[str, Any] | bytes,
    kind: str,
    retryable: bool,
) -> None:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    mock.post(URL).mock(return_value=httpx.Response(status, content=raw))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    error = info.value
    assert (error.kind, error.status, error.retryable) == (kind, status, retryable)
    assert error.message.startswith(f"anthropic upstream {BASE} answered {status}: ")


async def test_rate_limit_headers_are_kept(provider: Provider, mock: respx.MockRouter) -> None:
    headers = {
        "retry-after": "7999",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-09-17T09:13:32Z",
    }
    raw = orjson.dumps(anthropic_error("rate_limit_error", "rate limited"))
    mock.post(URL).mock(return_value=httpx.Response(429, content=raw, headers=headers))
    _, error = await drain_until_error(provider, REQ)
    assert error.kind == "rate_limited"
    assert error.headers["retry-after"] == "7999"
    assert error.headers["anthropic-ratelimit-requests-reset"] == "2026-09-17T09:13:32Z"
    assert error.body == raw


async def test_malformed_response_is_unavailable(
    provider: Provider, mock: respx.MockRouter
) -> None:
    mock.post(URL).mock(return_value=httpx.Response(200, json={"type": "message", "id": "x"}))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert info.value.kind == "unavailable"
