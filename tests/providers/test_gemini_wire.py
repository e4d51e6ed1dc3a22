"""The gemini adapter against the documented generateContent wire format (respx + httpx)."""

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

BASE = "http://127.0.0.1:4200/v1beta"
URL = f"{BASE}/models/gemini-2.5-flash:generateContent"
STREAM_URL = f"{BASE}/models/gemini-2.5-flash:streamGenerateContent"
KEY = "AIzaSyTest-gemini-93b1"

REQ = ChatRequest(
    model="gemini-2.5-flash",
    messages=(
        ChatMessage("system", "Be kind."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello!"),
        ChatMessage("user", "Tell me a joke"),
    ),
    max_tokens=256,
    temperature=0.7,
    top_p=0.95,
)


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in chunks)


def text_chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate]}


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    transport = HttpxTransport()
    yield make_provider("gemini", BASE, KEY, transport)
    await transport.aclose()


async def test_complete_sends_contents_system_instruction_and_config(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(URL).mock(
        return_value=httpx.Response(200, content=fixture_bytes("gemini_response.json"))
    )
    result = await provider.complete(REQ)

    sent = route.calls.last.request
    assert sent.headers["x-goog-api-key"] == KEY
    assert "key" not in sent.url.params  # never ?key=: URLs end up in access logs
    assert KEY not in str(sent.url)
    assert orjson.loads(sent.content) == {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello!"}]},
            {"role": "user", "parts": [{"text": "Tell me a joke"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be kind."}]},
        "generationConfig": {"maxOutputTokens": 256, "temperature": 0.7, "topP": 0.95},
    }
    assert result.text == "Hello! How can I help you today?"
    # Thinking tokens are billed as output: candidates 9 + thoughts 24.
    assert result.usage == Usage(prompt_tokens=8, completion_tokens=33)
    assert result.finish_reason == "stop"


async def test_minimal_request_has_no_optional_sections(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(f"{BASE}/models/gemini-2.0-flash:generateContent").mock(
        return_value=httpx.Response(200, content=fixture_bytes("gemini_response.json"))
    )
    await provider.complete(
        ChatRequest(model="models/gemini-2.0-flash", messages=(ChatMessage("user", "x"),))
    )
    assert set(orjson.loads(route.calls.last.request.content)) == {"contents"}


async def test_stream_uses_alt_sse_and_takes_usage_from_last_chunk(
    provider: Provider, mock: respx.MockRouter
) -> None:
    route = mock.post(STREAM_URL, params={"alt": "sse"}).mock(
        return_value=httpx.Response(
            200,
            content=fixture_bytes("gemini_stream.sse"),
            headers={"content-type": "text/event-stream"},
        )
    )
    events = [event async for event in provider.stream(REQ)]

    sent = route.calls.last.request
    assert sent.url.params["alt"] == "sse"
    assert sent.headers["x-goog-api-key"] == KEY
    assert isinstance(events[0], StreamStart)
    assert "".join(e.text for e in events if isinstance(e, StreamDelta)) == "Hello from Gemini."
    assert events[-1] == StreamEnd(
        usage=Usage(prompt_tokens=8, completion_tokens=22),
        finish_reason="stop",
        usage_reported=True,
    )


async def test_thought_parts_are_not_answer_text(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = {
        "candidates": [{"content": {"parts": [{"text": "let me think", "thought": True},
                                              {"text": "42"}]}, "finishReason": "MAX_TOKENS"}],
    }  # fmt: skip
    mock.post(URL).mock(return_value=httpx.Response(200, json=body))
    result = await provider.complete(REQ)
    assert (result.text, result.finish_reason) == ("42", "length")


async def test_rate_limit_keeps_retry_info_body(provider: Provider, mock: respx.MockRouter) -> None:
    raw = fixture_bytes("gemini_429.json")
    mock.post(URL).mock(return_value=httpx.Response(429, content=raw))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)

    error = info.value
    assert (error.kind, error.retryable, error.status) == ("rate_limited", True, 429)
    details = orjson.loads(error.body)["error"]["details"]
    retry = [d for d in details if d["@type"].endswith("google.rpc.RetryInfo")]
    assert retry[0]["retryDelay"] == "47s"
    assert "You exceeded your current quota" in error.message


def gemini_error(code: int, status: str, message: str, reason: str | None = None) -> bytes:
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        err["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                           "domain": "googleapis.com"}]  # fmt: skip
    return orjson.dumps({"error": err})


@pytest.mark.parametrize(
    ("status", "raw", "kind"),
    [
        (400, gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API "
                           "key.", "API_KEY_INVALID"), "auth"),
        (403, gemini_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers"),
         "auth"),
        (400, gemini_error(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the "
                           "maximum number of tokens allowed (1048576)."), "context_length"),
        (400, gemini_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."),
         "bad_request"),
        (404, gemini_error(404, "NOT_FOUND", "models/gemini-9 is not found"), "bad_request"),
        (500, gemini_error(500, "INTERNAL", "An internal error has occurred."), "unavailable"),
        (503, gemini_error(503, "UNAVAILABLE", "The model is overloaded."), "unavailable"),
    ],
)  # fmt: skip
async def test_http_errors_are_classified(
    provider: Provider, mock: respx.MockRouter, status: int, raw: bytes, kind: str
) -> None:
    mock.post(URL).mock(return_value=httpx.Response(status, content=raw))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert (info.value.kind, info.value.status) == (kind, status)
    assert info.value.message.startswith(f"gemini upstream {BASE} answered {status}: ")


async def test_prompt_block_is_a_content_policy_error(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
            "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}}  # fmt: skip
    mock.post(URL).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert (info.value.kind, info.value.retryable) == ("content_policy", False)

    mock.post(STREAM_URL).mock(return_value=httpx.Response(200, content=sse(body)))
    _, error = await drain_until_error(provider, REQ)
    assert error.kind == "content_policy"


async def test_safety_finish_mid_stream_is_a_content_policy_error(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = sse(text_chunk("Here is"), text_chunk("", finish="SAFETY"))
    mock.post(STREAM_URL).mock(return_value=httpx.Response(200, content=body))
    _, error = await drain_until_error(provider, REQ)
    assert (error.kind, error.partial_text) == ("content_policy", "Here is")


async def test_truncated_stream_is_unavailable_with_partial_text(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = sse(text_chunk("Why did"), text_chunk(" the")) + b'data: {"candidates": [{"cont'
    mock.post(STREAM_URL).mock(return_value=httpx.Response(200, content=body))
    events, error = await drain_until_error(provider, REQ)
    assert isinstance(events[0], StreamStart)
    assert (error.kind, error.retryable, error.partial_text) == ("unavailable", True, "Why did the")


async def test_stream_error_status_raises_before_start(
    provider: Provider, mock: respx.MockRouter
) -> None:
    raw = gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    mock.post(STREAM_URL).mock(return_value=httpx.Response(503, content=raw))
    events, error = await drain_until_error(provider, REQ)
    assert events == []
    assert (error.kind, error.status) == ("unavailable", 503)


async def test_malformed_json_is_unavailable(provider: Provider, mock: respx.MockRouter) -> None:
    mock.post(URL).mock(return_value=httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQ)
    assert info.value.kind == "unavailable"
