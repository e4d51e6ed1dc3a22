"""A reset that lands while nobody is reading must not lose what already arrived."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from symphony.providers.base import ChatMessage, ChatRequest, StreamDelta
from symphony.providers.errors import ProviderError
from symphony.providers.registry import make_provider
from symphony.providers.transport import AiohttpTransport
from symphony.simulator import load_simulator_config, start_simulator


async def test_reset_mid_stream_keeps_buffered_deltas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_FAST", "1")
    sim = await start_simulator(load_simulator_config(None))
    transport = AiohttpTransport()
    try:
        provider = make_provider("openai", sim.base_url + "/openai/v1", "k", transport)
        async with httpx.AsyncClient(base_url=sim.base_url) as control:
            await control.post(
                "/_sim/faults", json={"model": "gpt-4o-mini", "kind": "reset_mid_stream"}
            )
        seen: list[str] = []
        request = ChatRequest("gpt-4o-mini", (ChatMessage("user", "one two three four five"),))

        async def consume() -> None:
            async for event in provider.stream(request):
                if isinstance(event, StreamDelta):
                    seen.append(event.text)
                else:
                    # Busy elsewhere (e.g. recording headers) while the reset arrives.
                    await asyncio.sleep(0.05)

        with pytest.raises(ProviderError) as failure:
            await consume()
        assert failure.value.kind == "unavailable"
        assert seen, "the deltas received before the reset were dropped"
        assert failure.value.partial_text == "".join(seen)
    finally:
        await transport.aclose()
        await sim.stop()
