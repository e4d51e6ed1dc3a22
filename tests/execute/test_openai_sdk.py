"""The official `openai` SDK pointed at Symphony's /v1: streaming and not, errors, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import openai
import pytest

if TYPE_CHECKING:
    from conftest import Demo, LiveServer

USER = [{"role": "user", "content": "name three rivers"}]


@pytest.fixture
async def sdk(demo: Demo) -> AsyncIterator[openai.AsyncOpenAI]:
    """The SDK over the ASGI transport (non-streaming calls)."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=demo.app))
    client = openai.AsyncOpenAI(
        base_url="http://symphony.test/v1", api_key="unused", http_client=http, max_retries=0
    )
    async with client:
        yield client


@pytest.fixture
async def live_sdk(live_server: LiveServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """The SDK over real HTTP to uvicorn (streaming calls)."""
    http = httpx.AsyncClient(timeout=30)
    client = openai.AsyncOpenAI(
        base_url=f"{live_server.url}/v1", api_key="unused", http_client=http, max_retries=0
    )
    async with client:
        yield client


async def test_models_lists_auto_and_every_executable_policy_model(
    sdk: openai.AsyncOpenAI, demo: Demo
) -> None:
    ids = [m.id async for m in sdk.models.list()]
    executable = [m.name for m in demo.state.policy.snapshot.models if m.executable]
    assert ids == ["auto", *executable]
    assert "google/gemini-apps" not in ids  # tracked only, no endpoint


async def test_auto_lets_the_planner_choose(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    completion = await sdk.chat.completions.create(model="auto", messages=USER)  # type: ignore[arg-type]

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-aud_")
    assert demo.state.policy.snapshot.model(completion.model) is not None
    [choice] = completion.choices
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content is not None
    assert "answer: name three rivers" in choice.message.content
    assert completion.usage is not None
    assert (
        completion.usage.total_tokens
        == completion.usage.prompt_tokens + completion.usage.completion_tokens
        > 0
    )


async def test_a_fixed_model_with_routing_headers_and_symphony_response_headers(
    sdk: openai.AsyncOpenAI, demo: Demo
) -> None:
    raw = await sdk.chat.completions.with_raw_response.create(
        model="anthropic/claude-pro",
        messages=USER,
        max_tokens=64,
        temperature=0.2,  # type: ignore[arg-type]
        extra_headers={"x-symphony-task": "writing", "x-symphony-loa": "1"},
    )
    completion = raw.parse()

    assert completion.model == "anthropic/claude-pro"
    assert (
        completion.choices[0].message.content
        == "Simulated claude-sonnet-4 answer: name three rivers"
    )
    audit_id = raw.headers["x-symphony-audit-id"]
    assert audit_id.startswith("aud_")
    assert completion.id == f"chatcmpl-{audit_id}"
    assert raw.headers["x-symphony-model"] == "anthropic/claude-pro"
    assert raw.headers["x-symphony-attempts"] == "1"
    record = await demo.state.audit.get(audit_id)
    assert record is not None
    assert record.payload["model"] == "anthropic/claude-pro"
    assert (await demo.window("anthropic/claude-pro"))["used"] == 1


async def test_attempts_header_counts_a_retry(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    await demo.fault("anthropic/claude-pro", "error_500")
    raw = await sdk.chat.completions.with_raw_response.create(
        model="anthropic/claude-pro", messages=USER
    )  # type: ignore[arg-type]
    assert raw.headers["x-symphony-attempts"] == "2"
    assert raw.parse().choices[0].message.content


async def test_an_unknown_model_is_not_found(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await sdk.chat.completions.create(model="acme/nonexistent", messages=USER)  # type: ignore[arg-type]
    err = caught.value
    assert err.status_code == 404
    assert err.code == "model_not_found"
    assert err.param == "model"
    assert err.type == "invalid_request_error"
    assert "acme/nonexistent" in err.message


async def test_no_eligible_model_is_a_conflict_with_an_openai_error_body(
    sdk: openai.AsyncOpenAI,
) -> None:
    with pytest.raises(openai.ConflictError) as caught:
        await sdk.chat.completions.create(
            model="auto", messages=USER, extra_headers={"x-symphony-loa": "9"}
        )  # type: ignore[arg-type]
    err = caught.value
    assert err.status_code == 409
    assert err.code == "no_eligible_model"
    assert isinstance(err.body, dict)
    assert set(err.body) == {"message", "type", "param", "code"}
    assert err.response.headers["x-symphony-audit-id"].startswith("aud_")


async def test_an_invalid_body_is_a_bad_request(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.chat.completions.create(model="auto", messages=USER, temperature=5)  # type: ignore[arg-type]
    assert caught.value.param == "temperature"


async def test_streaming_with_the_final_usage_chunk(
    live_sdk: openai.AsyncOpenAI, live_server: LiveServer
) -> None:
    raw = await live_sdk.chat.completions.with_raw_response.create(
        model="openai/chatgpt-plus",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},  # type: ignore[arg-type]
        extra_headers={"x-symphony-task": "qa"},
    )
    assert raw.headers["x-symphony-model"] == "openai/chatgpt-plus"
    assert raw.headers["x-symphony-attempts"] == "1"
    audit_id = raw.headers["x-symphony-audit-id"]
    chunks = [chunk async for chunk in raw.parse()]

    assert all(
        c.object == "chat.completion.chunk" and c.id == f"chatcmpl-{audit_id}" for c in chunks
    )
    assert all(c.model == "openai/chatgpt-plus" for c in chunks)
    *body, final = chunks
    text = "".join(c.choices[0].delta.content or "" for c in body)
    assert text == "Simulated gpt-4o-mini answer: name three rivers"
    assert body[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in body][-1] == "stop"
    assert all(c.usage is None for c in body)
    assert final.choices == []
    assert final.usage is not None
    words = len(text.split())  # the simulator counts one token per word
    assert final.usage.completion_tokens == words
    assert final.usage.total_tokens == final.usage.prompt_tokens + words
    record = await live_server.state.audit.get(audit_id)
    assert record is not None


async def test_streaming_without_usage_and_after_a_fallback(
    live_sdk: openai.AsyncOpenAI, live_server: LiveServer
) -> None:
    await live_server.sim.post(
        "/_sim/faults", json={"model": "gpt-4o-mini", "kind": "error_503", "count": 2}
    )
    stream = await live_sdk.chat.completions.with_raw_response.create(
        model="auto",
        messages=USER,
        stream=True,  # type: ignore[arg-type]
        extra_headers={"x-symphony-task": "qa", "x-symphony-loa": "1"},
    )
    model = stream.headers["x-symphony-model"]
    assert model != "openai/chatgpt-plus"
    assert (
        stream.headers["x-symphony-attempts"] == "3"
    )  # two 503s on the primary, then the fallback
    chunks = [chunk async for chunk in stream.parse()]
    assert all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.model == model for c in chunks)
