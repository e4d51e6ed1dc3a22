"""The upstream's answer is read up to a cap (issue 11 item 6): a huge or endless answer
fails the attempt with a typed `too_large` error instead of filling memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import respx
from wire_support import drain_until_error, fixture_bytes

from symphony.providers.base import ChatMessage, ChatRequest, Provider
from symphony.providers.errors import ProviderError
from symphony.providers.registry import make_provider
from symphony.providers.transport import HttpxTransport

BASE = "http://127.0.0.1:4000/v1"
URL = f"{BASE}/chat/completions"
REQ = ChatRequest(model="gpt-4o-mini", messages=(ChatMessage("user", "hi"),), max_tokens=64)


class Endless(httpx.AsyncByteStream):
    """An SSE stream that never ends: a delta line forever."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        line = b'data: {"choices":[{"index":0,"delta":{"content":"xxxxxxxx"}}]}\n\n'
        while True:
            yield line


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    transport = HttpxTransport()
    yield make_provider("openai", "http://127.0.0.1:4000/v1", "sk-test", transport)
    await transport.aclose()


async def test_an_answer_within_the_cap_is_read_whole(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = fixture_bytes("openai_completion.json")
    mock.post(URL).mock(return_value=httpx.Response(200, content=body))
    result = await provider.complete(replace(REQ, max_response_bytes=len(body) + 2))
    assert result.text == "Hello! How can I assist you today?"


async def test_a_completion_over_the_cap_is_a_typed_error(
    provider: Provider, mock: respx.MockRouter
) -> None:
    body = fixture_bytes("openai_completion.json")
    mock.post(URL).mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(replace(REQ, max_response_bytes=len(body) // 2))
    assert caught.value.kind == "too_large"
    assert not caught.value.retryable
    assert "SYMPHONY_MAX_UPSTREAM_RESPONSE_BYTES" in caught.value.message


async def test_a_chunked_completion_over_the_cap_stops_being_read(
    provider: Provider, mock: respx.MockRouter
) -> None:
    mock.post(URL).mock(return_value=httpx.Response(200, stream=Endless()))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(replace(REQ, max_response_bytes=64 * 1024))
    assert caught.value.kind == "too_large"


async def test_an_endless_stream_fails_at_the_cap_with_the_text_so_far(
    provider: Provider, mock: respx.MockRouter
) -> None:
    mock.post(URL).mock(return_value=httpx.Response(200, stream=Endless()))
    events, error = await drain_until_error(provider, replace(REQ, max_response_bytes=64 * 1024))
    assert error.kind == "too_large"
    assert events  # deltas arrived before the cap
    assert 0 < len(error.partial_text) < 64 * 1024
