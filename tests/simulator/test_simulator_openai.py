"""OpenAI-compatible surface of the simulator, over real sockets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from symphony.clock import FixedClock
from symphony.simulator import RunningSimulator

USER = "Please summarise the quarterly numbers for the northern region right now thanks"


@pytest.fixture
def sim_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 1, tzinfo=UTC))


def chat(model: str = "gpt-4o-mini", **extra: object) -> dict[str, object]:
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": USER},
        ],
        **extra,
    }


def sse_payloads(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]


async def test_non_streaming_matches_openai_shape(client: httpx.AsyncClient) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat())

    assert resp.status_code == 200
    body = resp.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "gpt-4o-mini"
    assert body["created"] == int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    [choice] = body["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    expected = (
        "Simulated gpt-4o-mini answer: Please summarise the quarterly numbers for the northern"
    )
    assert choice["message"]["content"] == expected
    usage = body["usage"]
    prompt_chars = len("You are terse.") + len(USER)
    assert usage["prompt_tokens"] == -(-prompt_chars // 4)
    assert usage["completion_tokens"] == len(expected.split())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_openai_rate_limit_headers_use_go_durations(client: httpx.AsyncClient) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat())

    assert resp.headers["x-ratelimit-limit-requests"] == "30000"
    assert resp.headers["x-ratelimit-remaining-requests"] == "29999"
    assert resp.headers["x-ratelimit-reset-requests"] == "1m0s"
    assert resp.headers["x-ratelimit-limit-tokens"] == "150000000"
    used = resp.json()["usage"]["total_tokens"]
    assert resp.headers["x-ratelimit-remaining-tokens"] == str(150_000_000 - used)
    assert resp.headers["x-ratelimit-reset-tokens"] == "1m0s"


async def test_header_style_none_sends_no_rate_limit_headers(client: httpx.AsyncClient) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat("deepseek-chat"))

    assert resp.status_code == 200
    assert not [name for name in resp.headers if "ratelimit" in name.lower()]


async def test_streaming_chunks_and_include_usage(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/openai/v1/chat/completions",
        json=chat(stream=True, stream_options={"include_usage": True}),
    )

    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    payloads = sse_payloads(resp.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [c["choices"][0]["finish_reason"] for c in finals] == ["stop"]
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    assert all(c["usage"] is None for c in chunks[:-1])
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    assert text.startswith("Simulated gpt-4o-mini answer: Please summarise")
    assert usage_chunk["usage"]["completion_tokens"] == len(text.split())


async def test_streaming_without_include_usage_has_no_usage_chunk(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat(stream=True))

    chunks = [json.loads(p) for p in sse_payloads(resp.text)[:-1]]
    assert all(c["choices"] for c in chunks)
    assert all("usage" not in c for c in chunks)


async def test_max_tokens_truncates_with_finish_reason_length(client: httpx.AsyncClient) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat(max_tokens=3))

    choice = resp.json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == "Simulated gpt-4o-mini answer:"
    assert resp.json()["usage"]["completion_tokens"] == 3


async def test_unknown_model_is_openai_404(client: httpx.AsyncClient) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat("gpt-9"))

    assert resp.status_code == 404
    error = resp.json()["error"]
    assert error["code"] == "model_not_found"
    assert error["type"] == "invalid_request_error"
    assert "gpt-9" in error["message"]


async def test_model_of_another_protocol_is_not_served_here(client: httpx.AsyncClient) -> None:
    resp = await client.post("/openai/v1/chat/completions", json=chat("claude-sonnet-4"))

    assert resp.status_code == 404


async def test_missing_model_and_bad_json_are_400(client: httpx.AsyncClient) -> None:
    missing = await client.post("/openai/v1/chat/completions", json={"messages": []})
    broken = await client.post(
        "/openai/v1/chat/completions",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )

    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "model"
    assert broken.status_code == 400
    assert broken.json()["error"]["type"] == "invalid_request_error"


async def test_ollama_surface_and_health_probes(client: httpx.AsyncClient) -> None:
    resp = await client.post("/ollama/v1/chat/completions", json=chat("llama3.1:8b"))
    tags = await client.get("/ollama/api/tags")
    models = await client.get("/ollama/v1/models")
    openai_models = await client.get("/openai/v1/models")

    assert resp.status_code == 200
    assert resp.json()["choices"][0]["message"]["content"].startswith("Simulated llama3.1:8b")
    assert tags.status_code == 200
    assert sorted(m["name"] for m in tags.json()["models"]) == ["llama3.1:8b", "nomic-embed-text"]
    assert models.status_code == 200
    ids = {m["id"] for m in openai_models.json()["data"]}
    assert {"gpt-4o-mini", "grok-4", "sonar", "deepseek-chat", "litellm-default"} <= ids
    assert "claude-sonnet-4" not in ids
    assert openai_models.json()["object"] == "list"


async def test_official_openai_sdk_reads_replies_streams_and_429s(sim: RunningSimulator) -> None:
    openai = pytest.importorskip("openai")
    sdk = openai.AsyncOpenAI(base_url=f"{sim.base_url}/openai/v1", api_key="sk-sim", max_retries=0)
    messages = [{"role": "user", "content": "hello from the sdk"}]

    completion = await sdk.chat.completions.create(model="gpt-4o-mini", messages=messages)
    stream = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        await http.post("/_sim/faults", json={"kind": "rate_limit", "retry_after_s": 3})
    with pytest.raises(openai.RateLimitError) as limited:
        await sdk.chat.completions.create(model="gpt-4o-mini", messages=messages)
    await sdk.close()

    assert completion.choices[0].message.content == (
        "Simulated gpt-4o-mini answer: hello from the sdk"
    )
    assert completion.usage is not None
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == completion.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == completion.usage.total_tokens
    assert limited.value.response.headers["retry-after"] == "3"
