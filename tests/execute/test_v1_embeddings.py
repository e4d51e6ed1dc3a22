"""`POST /v1/embeddings` with the official `openai` SDK: OpenAI, Ollama and Gemini upstreams,
float and base64 answers, accounting and audit like chat."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest

from contract_check import contract_checked
from symphony.simulator.embeddings import vector

if TYPE_CHECKING:
    from conftest import Demo


@pytest.fixture
async def sdk(demo: Demo) -> AsyncIterator[openai.AsyncOpenAI]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=contract_checked(demo.app)))
    client = openai.AsyncOpenAI(
        base_url="http://symphony.test/v1", api_key="unused", http_client=http, max_retries=0
    )
    async with client:
        yield client


async def received(sim: httpx.AsyncClient, path_end: str) -> list[dict[str, Any]]:
    found = (await sim.get("/_sim/requests")).json()["requests"]
    return [r for r in found if r["path"].endswith(path_end)]


async def test_embeddings_through_an_openai_upstream(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    raw = await sdk.embeddings.with_raw_response.create(
        model="openai/text-embedding-3-small",
        input=["first text", "second text"],
        dimensions=64,
        user="u-9",
    )
    done = raw.parse()
    assert done.model == "openai/text-embedding-3-small"
    assert [d.index for d in done.data] == [0, 1]
    assert done.data[0].embedding == pytest.approx(vector("first text", 64))
    assert math.isclose(sum(v * v for v in done.data[1].embedding), 1.0, rel_tol=1e-5)
    assert done.usage.prompt_tokens == done.usage.total_tokens > 0
    [sent] = await received(demo.sim, "/openai/v1/embeddings")
    assert sent["body"]["model"] == "text-embedding-3-small"
    assert sent["body"]["input"] == ["first text", "second text"]
    assert (sent["body"]["dimensions"], sent["body"]["user"]) == (64, "u-9")
    record = await demo.state.audit.get(raw.headers["x-symphony-audit-id"])
    assert record is not None
    assert record.payload["model"] == "openai/text-embedding-3-small"
    assert record.payload["model_usage"]["prompt_tokens"] == done.usage.prompt_tokens
    assert record.payload["cost_usd"] > 0


async def test_base64_is_little_endian_float32(demo: Demo) -> None:
    for model in ("google/gemini-embedding", "local/nomic-embed"):
        r = await demo.client.post(
            "/v1/embeddings",
            json={"model": model, "input": "hello", "encoding_format": "base64"},
        )
        assert r.status_code == 200, r.text
        encoded = r.json()["data"][0]["embedding"]
        raw = base64.b64decode(encoded)
        floats = struct.unpack(f"<{len(raw) // 4}f", raw)
        assert list(floats) == vector("hello", 768), model


async def test_gemini_single_and_batch(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    one = await sdk.embeddings.create(model="google/gemini-embedding", input="solo", dimensions=8)
    many = await sdk.embeddings.create(model="google/gemini-embedding", input=["a", "b", "c"])
    assert one.data[0].embedding == pytest.approx(vector("solo", 8))
    assert len(many.data) == 3
    assert many.data[2].embedding == pytest.approx(vector("c", 768))
    [single] = await received(demo.sim, ":embedContent")
    assert single["body"] == {"content": {"parts": [{"text": "solo"}]}, "outputDimensionality": 8}
    [batch] = await received(demo.sim, ":batchEmbedContents")
    assert [r["model"] for r in batch["body"]["requests"]] == ["models/gemini-embedding-001"] * 3


async def test_auto_routes_to_an_embedding_model(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    done = await sdk.embeddings.create(model="auto", input="route me")
    spec = demo.state.policy.snapshot.model(done.model)
    assert spec is not None
    assert spec.kind == "embedding"


async def test_token_ids_go_only_to_openai_protocol_models(sdk: openai.AsyncOpenAI) -> None:
    done = await sdk.embeddings.create(model="openai/text-embedding-3-small", input=[[1, 2, 3]])
    assert len(done.data) == 1
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.embeddings.create(model="google/gemini-embedding", input=[1, 2, 3])
    assert (caught.value.code, caught.value.param) == ("unsupported_parameter", "input_tokens")


async def test_a_chat_model_is_not_an_embedding_model(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.embeddings.create(model="openai/gpt-4o", input="x")
    assert (caught.value.code, caught.value.param) == ("model_not_supported", "model")
    with pytest.raises(openai.BadRequestError) as chat:
        await sdk.chat.completions.create(
            model="openai/text-embedding-3-small", messages=[{"role": "user", "content": "x"}]
        )
    assert "use /v1/embeddings" in chat.value.message
    with pytest.raises(openai.BadRequestError) as empty:
        await sdk.embeddings.create(model="auto", input="")
    assert empty.value.param == "input"


async def test_an_upstream_failure_falls_back(sdk: openai.AsyncOpenAI, demo: Demo) -> None:
    await demo.sim.post(
        "/_sim/faults",
        json={"model": "text-embedding-3-small", "kind": "error_500", "count": 1},
    )
    raw = await sdk.embeddings.with_raw_response.create(
        model="openai/text-embedding-3-small", input="retry me"
    )
    assert raw.headers["x-symphony-attempts"] == "2"  # a 500, then the retry answered
    assert len(raw.parse().data) == 1
