"""Helpers shared by the provider wire-format tests (one adapter per protocol)."""

from __future__ import annotations

from pathlib import Path

from symphony.providers.base import ChatRequest, Provider, StreamEvent
from symphony.providers.errors import ProviderError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def drain_until_error(
    provider: Provider, req: ChatRequest
) -> tuple[list[StreamEvent], ProviderError]:
    """Read a stream that must fail; return what arrived before, and the error."""
    events: list[StreamEvent] = []
    try:
        async for event in provider.stream(req):
            events.append(event)
    except ProviderError as error:
        return events, error
    raise AssertionError("the stream did not fail")
