"""The API key never leaks into errors, reprs or logs, even when the upstream echoes it."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
import respx

from symphony.providers.base import ChatMessage, ChatRequest
from symphony.providers.errors import ProviderError
from symphony.providers.registry import make_provider
from symphony.providers.transport import HttpxTransport

KEY = "sk-proj-LEAKCHECK-9f8e7d6c5b4a"
REQ = ChatRequest(model="m-1", messages=(ChatMessage("system", "s"), ChatMessage("user", "u")))

ENDPOINTS = {
    "openai": ("http://127.0.0.1:4000/v1", "http://127.0.0.1:4000/v1/chat/completions"),
    "anthropic": ("http://127.0.0.1:4100", "http://127.0.0.1:4100/v1/messages"),
    "gemini": (
        "http://127.0.0.1:4200/v1beta",
        "http://127.0.0.1:4200/v1beta/models/m-1:(stream)?[gG]enerateContent.*",
    ),
}


def echo_error(status: int) -> bytes:
    return orjson.dumps(
        {
            "type": "error",
            "error": {
                "type": "authentication_error",
                "code": status,
                "message": f"Incorrect API key provided: {KEY}. Find your key at the console.",
            },
        }
    )


def responses() -> list[httpx.Response | Exception]:
    """One upstream behaviour per failure path, each echoing the key somewhere."""
    return [
        httpx.Response(401, content=echo_error(401)),
        httpx.Response(429, content=echo_error(429), headers={"retry-after": "1"}),
        httpx.Response(500, text=f"proxy error while forwarding key={KEY}"),
        httpx.Response(400, content=echo_error(400)),
        httpx.Response(200, text=f"not json {KEY}"),
        httpx.ConnectError(f"cannot connect (key {KEY})"),
        httpx.ReadTimeout(f"read timed out for {KEY}"),
    ]


def assert_clean(error: ProviderError) -> None:
    texts = [
        str(error),
        repr(error),
        error.message,
        "".join(traceback.format_exception(error)),
        error.body.decode("utf-8", "replace"),
    ]
    for text in texts:
        assert KEY not in text


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def transport() -> AsyncIterator[HttpxTransport]:
    transport = HttpxTransport()
    yield transport
    await transport.aclose()


@pytest.mark.parametrize("protocol", sorted(ENDPOINTS))
async def test_key_never_appears_in_errors_or_logs(
    protocol: str,
    mock: respx.MockRouter,
    transport: HttpxTransport,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    base, url = ENDPOINTS[protocol]
    route = mock.post(url__regex=url)
    provider = make_provider(protocol, base, KEY, transport)
    assert KEY not in repr(provider)

    seen: set[str] = set()
    for behaviour in responses():
        route.mock(side_effect=[behaviour, behaviour])
        with pytest.raises(ProviderError) as info:
            await provider.complete(REQ)
        assert_clean(info.value)
        seen.add(info.value.kind)
        with pytest.raises(ProviderError) as info:
            async for _ in provider.stream(REQ):
                pass
        assert_clean(info.value)

    assert {"auth", "rate_limited", "unavailable", "timeout"} <= seen
    assert route.call_count == 2 * len(responses())
    # The key did travel upstream, in a header, and nowhere else.
    sent = route.calls.last.request
    assert KEY in "".join(sent.headers.values())
    assert KEY not in str(sent.url)
    assert KEY.encode() not in sent.content
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in caplog.text


@pytest.mark.parametrize("protocol", sorted(ENDPOINTS))
async def test_key_echoed_in_a_mid_stream_error_is_redacted(
    protocol: str, mock: respx.MockRouter, transport: HttpxTransport
) -> None:
    base, url = ENDPOINTS[protocol]
    error_event = {"type": "error", "error": {"type": "api_error", "message": f"bad key {KEY}"}}
    body = b"data: " + orjson.dumps(error_event) + b"\n\n"
    mock.post(url__regex=url).mock(return_value=httpx.Response(200, content=body))
    provider = make_provider(protocol, base, KEY, transport)

    with pytest.raises(ProviderError) as info:
        async for _ in provider.stream(REQ):
            pass
    assert info.value.status is None
    assert "bad key" in info.value.message
    assert_clean(info.value)
