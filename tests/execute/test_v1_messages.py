"""`POST /v1/messages` with the official `anthropic` SDK: what Claude Code and the SDKs send.

Routed through the same planner, windows, accounting and audit; translated when the model
that answers is not Anthropic's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anthropic
import httpx
import httpx2  # the anthropic SDK's HTTP client (a fork of httpx)
import pytest

from contract_check import contract_checked

if TYPE_CHECKING:
    from conftest import Demo, LiveServer

WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
ASK = [{"role": "user", "content": "Weather in Oslo"}]
TASK = {"x-symphony-task": "qa"}


@pytest.fixture
async def claude(demo: Demo) -> AsyncIterator[anthropic.AsyncAnthropic]:
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=contract_checked(demo.app)))
    client = anthropic.AsyncAnthropic(
        base_url="http://symphony.test", api_key="unused", http_client=http, max_retries=0
    )
    async with client:
        yield client


@pytest.fixture
async def live_claude(live_server: LiveServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(
        base_url=live_server.url,
        api_key="unused",
        http_client=httpx2.AsyncClient(timeout=30),
        max_retries=0,
    )
    async with client:
        yield client


async def bodies(sim: httpx.AsyncClient, model: str) -> list[dict[str, Any]]:
    found = (await sim.get("/_sim/requests", params={"model": model})).json()["requests"]
    return [r["body"] for r in found]


async def test_a_message_reaches_anthropic_as_sent_and_is_accounted(
    claude: anthropic.AsyncAnthropic, demo: Demo
) -> None:
    raw = await claude.messages.with_raw_response.create(
        model="anthropic/claude-pro",
        max_tokens=200,
        system="Be brief.",
        messages=ASK,  # type: ignore[arg-type]
        stop_sequences=["END"],
        metadata={"user_id": "u-1"},
        service_tier="auto",  # unknown to Symphony: passes through
        extra_headers={**TASK, "anthropic-beta": "tools-2024-04-04"},
        extra_body={"temperature": 0.2, "top_k": 5},  # not in this SDK's signature
    )
    message = await raw.parse()
    assert message.type == "message"
    assert message.model == "anthropic/claude-pro"
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Simulated claude-sonnet-4 answer: Weather in Oslo"
    assert message.usage.output_tokens == 6
    [body] = await bodies(demo.sim, "claude-sonnet-4")
    assert body == {
        "model": "claude-sonnet-4",
        "max_tokens": 200,
        "system": "Be brief.",
        "messages": ASK,
        "stop_sequences": ["END"],
        "temperature": 0.2,
        "top_k": 5,
        "metadata": {"user_id": "u-1"},
        "service_tier": "auto",
        "stream": False,
    }
    [captured] = (await demo.sim.get("/_sim/requests")).json()["requests"]
    assert captured["headers"]["anthropic-beta"] == "tools-2024-04-04"
    audit_id = raw.headers["x-symphony-audit-id"]
    record = await demo.state.audit.get(audit_id)
    assert record is not None
    assert record.payload["model"] == "anthropic/claude-pro"
    assert (await demo.window("anthropic/claude-pro"))["used"] == 1


async def test_the_upstream_model_id_names_the_policy_model(
    claude: anthropic.AsyncAnthropic,
) -> None:
    message = await claude.messages.create(
        model="claude-sonnet-4",
        max_tokens=50,
        messages=ASK,  # type: ignore[arg-type]
    )
    assert message.model == "anthropic/claude-pro"


@pytest.mark.parametrize(
    ("model", "upstream"),
    [("anthropic/claude-pro", "claude-sonnet-4"), ("openai/gpt-4o", "gpt-4o")],
)
async def test_a_tool_round_trip(
    claude: anthropic.AsyncAnthropic, demo: Demo, model: str, upstream: str
) -> None:
    first = await claude.messages.create(
        model=model,
        max_tokens=300,
        messages=ASK,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "any"},
    )
    assert first.stop_reason == "tool_use"
    [use] = [b for b in first.content if b.type == "tool_use"]
    assert use.name == "get_weather"
    assert use.input == {"city": "Weather in Oslo"}

    final = await claude.messages.create(
        model=model,
        max_tokens=300,
        messages=[
            *ASK,
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "-3C"}],
            },
        ],  # type: ignore[list-item]
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text"
    assert "-3C" in final.content[0].text
    sent = await bodies(demo.sim, upstream)
    if upstream == "gpt-4o":  # translated: Anthropic's blocks became OpenAI's messages
        assert sent[1]["messages"][1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert sent[1]["messages"][2] == {"role": "tool", "tool_call_id": use.id, "content": "-3C"}
        assert sent[1]["max_completion_tokens"] == 300  # the policy's max_tokens_param
        assert sent[0]["tool_choice"] == "required"


async def test_streaming_events_with_a_tool_call(
    live_claude: anthropic.AsyncAnthropic,
) -> None:
    for model in ("anthropic/claude-pro", "openai/gpt-4o"):
        events = []
        async with live_claude.messages.stream(
            model=model,
            max_tokens=300,
            messages=ASK,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "tool", "name": "get_weather"},
        ) as stream:
            async for event in stream:
                events.append(event.type)
            final = await stream.get_final_message()
        assert events[0] == "message_start"
        assert "content_block_start" in events
        assert "message_stop" in events
        assert final.stop_reason == "tool_use", model
        [use] = [b for b in final.content if b.type == "tool_use"]
        assert use.input == {"city": "Weather in Oslo"}, model
        assert final.usage.output_tokens > 0


async def test_streaming_text(live_claude: anthropic.AsyncAnthropic) -> None:
    async with live_claude.messages.stream(
        model="google/gemini-pro",
        max_tokens=100,
        messages=ASK,  # type: ignore[arg-type]
    ) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "Simulated gemini-2.5-flash answer: Weather in Oslo"
    assert final.model == "google/gemini-pro"
    assert final.stop_reason == "end_turn"


async def test_errors_are_anthropic_shaped(claude: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        await claude.messages.create(model="acme/none", max_tokens=5, messages=ASK)  # type: ignore[arg-type]
    assert missing.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": missing.value.body["error"]["message"]},  # type: ignore[index]
    }
    with pytest.raises(anthropic.BadRequestError) as invalid:
        await claude.messages.create(model="auto", max_tokens=0, messages=ASK)  # type: ignore[arg-type]
    assert invalid.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert "max_tokens" in invalid.value.message
    for model in ("openai/gpt-4o", "anthropic/claude-pro"):
        with pytest.raises(anthropic.BadRequestError) as refused:
            await claude.messages.create(
                model=model,
                max_tokens=2000,
                messages=ASK,  # type: ignore[arg-type]
                thinking={"type": "enabled", "budget_tokens": 1024},
            )
        assert "thinking" in refused.value.message
        assert "not relay thinking blocks" in refused.value.message


async def test_anthropic_version_is_required(demo: Demo) -> None:
    body = {"model": "auto", "max_tokens": 5, "messages": ASK}
    r = await demo.client.post("/v1/messages", json=body)
    assert r.status_code == 400
    assert r.json() == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "anthropic-version: header is required",
        },
    }
    r = await demo.client.get("/v1/messages")
    assert r.status_code == 405
    assert r.json()["type"] == "error"
