"""The whole chat-completions request, honoured or refused, with the official `openai` SDK.

The simulator records what each upstream received (`GET /_sim/requests`), so these tests
compare the upstream body with what the client sent, field by field.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest

from contract_check import contract_checked

if TYPE_CHECKING:
    from conftest import Demo, LiveServer

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
ASK = [{"role": "user", "content": "Weather in Paris please"}]
PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
IMAGE = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}}


@pytest.fixture
async def sdk(demo: Demo) -> AsyncIterator[openai.AsyncOpenAI]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=contract_checked(demo.app)))
    client = openai.AsyncOpenAI(
        base_url="http://symphony.test/v1", api_key="unused", http_client=http, max_retries=0
    )
    async with client:
        yield client


@pytest.fixture
async def live_sdk(live_server: LiveServer) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(
        base_url=f"{live_server.url}/v1",
        api_key="unused",
        http_client=httpx.AsyncClient(timeout=30),
        max_retries=0,
    )
    async with client:
        yield client


async def upstream_bodies(sim: httpx.AsyncClient, model: str) -> list[dict[str, Any]]:
    """What the simulated upstream `model` received, oldest first."""
    found = (await sim.get("/_sim/requests", params={"model": model})).json()["requests"]
    return [r["body"] for r in found]


async def test_every_field_reaches_an_openai_upstream_as_sent(
    sdk: openai.AsyncOpenAI, demo: Demo
) -> None:
    sent: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris please"},
        ],
        "tools": [WEATHER],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "stop": ["\n\n"],
        "seed": 7,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.25,
        "logit_bias": {"50256": -100},
        "user": "user-42",
        "metadata": {"ticket": "T-1"},
        "max_tokens": 300,
        "temperature": 0.3,
        "top_p": 0.9,
    }
    await sdk.chat.completions.create(
        model="openai/chatgpt-plus",
        extra_body={"acme_routing_hint": {"tier": "gold"}},  # unknown: passes through
        **sent,
    )
    [body] = await upstream_bodies(demo.sim, "gpt-4o-mini")
    assert body["model"] == "gpt-4o-mini"  # the policy model's upstream id
    assert body["stream"] is False
    assert body["acme_routing_hint"] == {"tier": "gold"}
    for key, value in sent.items():
        assert body[key] == value, key
    assert set(body) == {*sent, "model", "stream", "acme_routing_hint"}


async def test_no_max_tokens_is_invented_and_the_policy_flag_renames_it(
    sdk: openai.AsyncOpenAI, demo: Demo
) -> None:
    await sdk.chat.completions.create(model="openai/chatgpt-plus", messages=ASK)  # type: ignore[arg-type]
    [plain] = await upstream_bodies(demo.sim, "gpt-4o-mini")
    assert "max_tokens" not in plain
    assert "max_completion_tokens" not in plain

    # openai/gpt-4o declares `max_tokens_param: max_completion_tokens` in the demo policy.
    await sdk.chat.completions.create(model="openai/gpt-4o", messages=ASK, max_tokens=50)  # type: ignore[arg-type]
    [mapped] = await upstream_bodies(demo.sim, "gpt-4o")
    assert mapped["max_completion_tokens"] == 50
    assert "max_tokens" not in mapped

    # anthropic/claude-pro sets `max_tokens: 4096` in policy: sent when the client sends none.
    await sdk.chat.completions.create(
        model="anthropic/claude-pro", messages=ASK, extra_headers={"x-symphony-task": "qa"}
    )  # type: ignore[arg-type]
    [claude] = await upstream_bodies(demo.sim, "claude-sonnet-4")
    assert claude["max_tokens"] == 4096


@pytest.mark.parametrize(
    ("model", "upstream"),
    [
        ("openai/gpt-4o", "gpt-4o"),
        ("anthropic/claude-pro", "claude-sonnet-4"),
        ("google/gemini-pro", "gemini-2.5-flash"),
    ],
)
async def test_a_tool_call_round_trip(
    sdk: openai.AsyncOpenAI, demo: Demo, model: str, upstream: str
) -> None:
    first = await sdk.chat.completions.create(
        model=model,
        messages=ASK,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="required",
    )
    [choice] = first.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "get_weather"
    args = json.loads(call.function.arguments)
    assert args == {"city": "Weather in Paris please", "unit": "c"}  # from its schema

    final = await sdk.chat.completions.create(
        model=model,
        messages=[
            *ASK,
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "18 degrees and sunny"},
        ],  # type: ignore[list-item]
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert final.choices[0].finish_reason == "stop"
    assert "18 degrees and sunny" in (final.choices[0].message.content or "")
    assert final.usage is not None
    assert final.usage.completion_tokens > 0
    audit = await demo.state.audit.get(first.id.removeprefix("chatcmpl-"))
    assert audit is not None
    assert audit.payload["tool_calls"] == 1
    assert len(await upstream_bodies(demo.sim, upstream)) == 2


async def test_translated_tool_requests_keep_every_part(
    sdk: openai.AsyncOpenAI, demo: Demo
) -> None:
    await sdk.chat.completions.create(
        model="anthropic/claude-pro",
        messages=[
            {"role": "system", "content": "Be brief."},
            *ASK,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],  # type: ignore[list-item]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stop=["END"],
        user="user-42",
        max_tokens=77,
        extra_headers={"x-symphony-task": "qa"},
    )
    [body] = await upstream_bodies(demo.sim, "claude-sonnet-4")
    assert body["system"] == "Be brief."
    assert body["max_tokens"] == 77
    assert body["stop_sequences"] == ["END"]
    assert body["metadata"] == {"user_id": "user-42"}
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Current weather for a city",
            "input_schema": WEATHER["function"]["parameters"],
        }
    ]
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
        ],
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}],
    }


async def test_streamed_tool_call_deltas_and_the_usage_chunk(
    live_sdk: openai.AsyncOpenAI,
) -> None:
    for model in ("openai/gpt-4o", "anthropic/claude-pro", "google/gemini-pro"):
        stream = await live_sdk.chat.completions.create(
            model=model,
            messages=ASK,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        pieces = [t for c in chunks if c.choices for t in (c.choices[0].delta.tool_calls or [])]
        assert pieces[0].id
        assert pieces[0].function
        assert pieces[0].function.name == "get_weather"
        arguments = "".join(p.function.arguments or "" for p in pieces if p.function)
        assert json.loads(arguments)["unit"] == "c", model
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finishes[-1] == "tool_calls", model
        assert chunks[-1].choices == []
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.completion_tokens > 0


async def test_json_schema_output(sdk: openai.AsyncOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "person", "schema": schema, "strict": True},
    }
    for model in ("openai/gpt-4o", "anthropic/claude-pro", "google/gemini-pro"):
        done = await sdk.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Ada"}],
            response_format=fmt,  # type: ignore[arg-type]
        )
        value = json.loads(done.choices[0].message.content or "")
        assert value == {"name": "Ada", "age": 1}, model
        assert done.choices[0].finish_reason == "stop", model


async def test_n_2_gives_two_choices(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    for model in ("openai/gpt-4o", "google/gemini-pro"):
        done = await sdk.chat.completions.create(model=model, messages=ASK, n=2)  # type: ignore[arg-type]
        assert [c.index for c in done.choices] == [0, 1], model
        assert done.choices[0].message.content != done.choices[1].message.content
    [gemini] = await upstream_bodies(demo.sim, "gemini-2.5-flash")
    assert gemini["generationConfig"]["candidateCount"] == 2


async def test_n_2_streams_both_choices(live_sdk: openai.AsyncOpenAI) -> None:
    stream = await live_sdk.chat.completions.create(
        model="openai/gpt-4o",
        messages=ASK,
        n=2,
        stream=True,  # type: ignore[arg-type]
    )
    texts: dict[int, str] = {0: "", 1: ""}
    finishes = {}
    async for chunk in stream:
        for c in chunk.choices:
            texts[c.index] += c.delta.content or ""
            if c.finish_reason:
                finishes[c.index] = c.finish_reason
    assert texts[1] == texts[0] + " (choice 2)"
    assert finishes == {0: "stop", 1: "stop"}


async def test_an_image_goes_to_a_vision_model(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    content = [{"type": "text", "text": "What is this?"}, IMAGE]
    done = await sdk.chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": content}],  # type: ignore[list-item]
    )
    assert "(I see 1 image)" in (done.choices[0].message.content or "")
    chosen = demo.state.policy.snapshot.model(done.model)
    assert chosen is not None
    assert chosen.capabilities is not None
    assert "vision" in chosen.capabilities  # local/ollama (no vision) was not a candidate

    for model in ("openai/gpt-4o", "anthropic/claude-pro", "google/gemini-pro"):
        pinned = await sdk.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": content}],  # type: ignore[list-item]
        )
        assert "(I see 1 image)" in (pinned.choices[0].message.content or ""), model
    openai_body = (await upstream_bodies(demo.sim, "gpt-4o"))[-1]
    assert openai_body["messages"][0]["content"] == content
    claude = (await upstream_bodies(demo.sim, "claude-sonnet-4"))[-1]
    assert claude["messages"][0]["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PIXEL},
    }
    gemini = (await upstream_bodies(demo.sim, "gemini-2.5-flash"))[-1]
    assert gemini["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": PIXEL}
    }


async def test_an_image_to_a_model_without_vision_is_denied(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.ConflictError) as caught:
        await sdk.chat.completions.create(
            model="local/ollama",
            messages=[{"role": "user", "content": [{"type": "text", "text": "?"}, IMAGE]}],  # type: ignore[list-item]
        )
    err = caught.value
    assert err.code == "no_eligible_model"
    assert "local/ollama: capability_missing: vision (the model declares tools" in err.message


async def test_a_field_a_protocol_cannot_honour_is_a_400_naming_it(
    sdk: openai.AsyncOpenAI, demo: Demo
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.chat.completions.create(
            model="anthropic/claude-pro",
            messages=ASK,
            seed=3,  # type: ignore[arg-type]
        )
    err = caught.value
    assert (err.code, err.param) == ("unsupported_parameter", "seed")
    assert "the Messages API has no seed" in err.message
    assert await upstream_bodies(demo.sim, "claude-sonnet-4") == []  # never sent

    # With `auto` the planner simply skips what cannot honour it.
    done = await sdk.chat.completions.create(
        model="auto",
        messages=ASK,
        seed=3,
        extra_headers={"x-symphony-task": "qa"},  # type: ignore[arg-type]
    )
    spec = demo.state.policy.snapshot.model(done.model)
    assert spec is not None
    assert spec.endpoint is not None
    assert spec.endpoint.protocol != "anthropic"


async def test_unknown_fields_are_refused_for_other_protocols(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.chat.completions.create(
            model="google/gemini-pro",
            messages=ASK,
            extra_body={"store": True},  # type: ignore[arg-type]
        )
    assert caught.value.param == "store"


async def test_a_prompt_too_long_for_every_candidate_is_context_length_exceeded(
    sdk: openai.AsyncOpenAI,
) -> None:
    huge = [{"role": "user", "content": "word " * 300_000}]  # ~375k tokens: over every window
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.chat.completions.create(model="auto", messages=huge)  # type: ignore[arg-type]
    err = caught.value
    assert err.code == "context_length_exceeded"
    assert err.param == "messages"
    assert "maximum context length" in err.message


async def test_insufficient_quota_is_not_retried(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    await demo.fault("openai/chatgpt-plus", "insufficient_quota", count=5)
    raw = await sdk.chat.completions.with_raw_response.create(
        model="auto",
        messages=ASK,
        extra_headers={"x-symphony-task": "qa", "x-symphony-loa": "1"},  # type: ignore[arg-type]
    )
    audit = await demo.state.audit.get(raw.headers["x-symphony-audit-id"])
    assert audit is not None
    attempts = audit.payload["attempts"]
    assert attempts[0]["model"] == "openai/chatgpt-plus"
    assert attempts[0]["kind"] == "quota_exhausted"
    assert attempts[1]["model"] != "openai/chatgpt-plus"  # moved on, did not retry
    assert (await demo.sim_model("openai/chatgpt-plus"))["requests"] == 1


async def test_models_by_id_with_a_slash(sdk: openai.AsyncOpenAI) -> None:
    card = await sdk.models.retrieve("anthropic/claude-pro")
    assert (card.id, card.owned_by) == ("anthropic/claude-pro", "anthropic")
    assert (await sdk.models.retrieve("auto")).owned_by == "symphony"
    with pytest.raises(openai.NotFoundError) as caught:
        await sdk.models.retrieve("acme/none")
    assert caught.value.code == "model_not_found"
