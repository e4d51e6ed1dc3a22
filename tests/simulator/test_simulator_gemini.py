"""Gemini generateContent surface of the simulator, over real sockets."""

from __future__ import annotations

import json

import httpx
import pytest

KEY = {"x-goog-api-key": "AIza-test"}
BODY = {
    "systemInstruction": {"parts": [{"text": "Answer in English."}]},
    "contents": [{"role": "user", "parts": [{"text": "What is the tallest mountain"}]}],
}
ANSWER = "Simulated gemini-2.5-flash answer: What is the tallest mountain"


@pytest.fixture
def sim_path() -> str:
    return "/gemini/v1beta"


async def test_generate_content_shape(client: httpx.AsyncClient) -> None:
    resp = await client.post("/models/gemini-2.5-flash:generateContent", json=BODY, headers=KEY)

    assert resp.status_code == 200
    body = resp.json()
    [candidate] = body["candidates"]
    assert candidate["content"] == {"role": "model", "parts": [{"text": ANSWER}]}
    assert candidate["finishReason"] == "STOP"
    usage = body["usageMetadata"]
    chars = len("Answer in English.") + len("What is the tallest mountain")
    assert usage["promptTokenCount"] == -(-chars // 4)
    assert usage["candidatesTokenCount"] == len(ANSWER.split())
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert not [name for name in resp.headers if "ratelimit" in name.lower()]


async def test_stream_sse_lines_are_full_responses_with_usage_last(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.post(
        "/models/gemini-2.5-flash:streamGenerateContent",
        params={"alt": "sse"},
        json=BODY,
        headers=KEY,
    )

    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    lines = [json.loads(x[6:]) for x in resp.text.splitlines() if x.startswith("data: ")]
    assert len(lines) > 1
    assert all(line["candidates"][0]["content"]["role"] == "model" for line in lines)
    text = "".join(line["candidates"][0]["content"]["parts"][0]["text"] for line in lines)
    assert text == ANSWER
    assert ["usageMetadata" in line for line in lines] == [False] * (len(lines) - 1) + [True]
    assert lines[-1]["candidates"][0]["finishReason"] == "STOP"


async def test_stream_without_alt_sse_is_a_json_array(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/models/gemini-2.5-flash:streamGenerateContent", json=BODY, headers=KEY
    )

    chunks = resp.json()
    assert isinstance(chunks, list)
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] == len(ANSWER.split())


async def test_missing_key_is_permission_denied_and_query_key_works(
    client: httpx.AsyncClient,
) -> None:
    denied = await client.post("/models/gemini-2.5-flash:generateContent", json=BODY)
    by_query = await client.post(
        "/models/gemini-2.5-flash:generateContent", json=BODY, params={"key": "AIza-test"}
    )

    assert denied.status_code == 403
    assert denied.json()["error"]["status"] == "PERMISSION_DENIED"
    assert by_query.status_code == 200


async def test_unknown_model_is_not_found(client: httpx.AsyncClient) -> None:
    resp = await client.post("/models/gemini-9:generateContent", json=BODY, headers=KEY)

    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == 404
    assert resp.json()["error"]["status"] == "NOT_FOUND"


async def test_max_output_tokens_reports_max_tokens_finish(client: httpx.AsyncClient) -> None:
    body = {**BODY, "generationConfig": {"maxOutputTokens": 2}}
    resp = await client.post("/models/gemini-2.5-flash:generateContent", json=body, headers=KEY)

    candidate = resp.json()["candidates"][0]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert candidate["content"]["parts"][0]["text"] == "Simulated gemini-2.5-flash"


async def test_models_list_and_missing_contents(client: httpx.AsyncClient) -> None:
    listing = await client.get("/models")
    empty = await client.post(
        "/models/gemini-2.5-flash:generateContent", json={"contents": []}, headers=KEY
    )

    methods = {m["name"]: m["supportedGenerationMethods"] for m in listing.json()["models"]}
    assert set(methods) == {"models/gemini-2.5-flash", "models/gemini-embedding-001"}
    assert "generateContent" in methods["models/gemini-2.5-flash"]
    assert "embedContent" in methods["models/gemini-embedding-001"]
    assert empty.status_code == 400
    assert empty.json()["error"]["status"] == "INVALID_ARGUMENT"
