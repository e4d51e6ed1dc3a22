"""Runtime fault injection through `/_sim/faults`, seen by real HTTP clients."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

ANTHROPIC = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def chat(model: str = "gpt-4o-mini", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "tell me a story"}], **extra}


async def inject(client: httpx.AsyncClient, **fault: Any) -> httpx.Response:
    resp = await client.post("/_sim/faults", json=fault)
    assert resp.status_code == 200, resp.text
    return resp


async def collect_stream(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    received: list[str],
    headers: dict[str, str] | None = None,
) -> None:
    """Append every line of a streamed response to `received` until it ends or breaks."""
    async with client.stream("POST", path, json=body, headers=headers) as resp:
        assert resp.status_code == 200
        async for line in resp.aiter_lines():
            received.append(line)


async def post_chat(client: httpx.AsyncClient, **extra: Any) -> httpx.Response:
    return await client.post("/openai/v1/chat/completions", json=chat(**extra))


async def test_rate_limit_fault_uses_openai_format_and_headers(client: httpx.AsyncClient) -> None:
    listed = await inject(client, kind="rate_limit", retry_after_s=7)
    limited = await post_chat(client)
    after = await post_chat(client)

    assert [f["kind"] for f in listed.json()["faults"]] == ["rate_limit"]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert limited.headers["retry-after"] == "7"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.headers["x-ratelimit-reset-requests"] == "7s"
    assert after.status_code == 200


async def test_rate_limit_fault_in_anthropic_and_gemini_formats(client: httpx.AsyncClient) -> None:
    await inject(client, kind="rate_limit", model="claude-sonnet-4", retry_after_s=30)
    await inject(client, kind="rate_limit", model="gemini-2.5-flash", retry_after_s=38.5)
    claude = await client.post(
        "/anthropic/v1/messages",
        json={**chat("claude-sonnet-4"), "max_tokens": 5},
        headers=ANTHROPIC,
    )
    gemini = await client.post(
        "/gemini/v1beta/models/gemini-2.5-flash:generateContent",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": "k"},
    )

    assert claude.status_code == 429
    assert claude.json()["error"]["type"] == "rate_limit_error"
    assert claude.headers["retry-after"] == "30"
    assert claude.headers["anthropic-ratelimit-unified-status"] == "rejected"
    assert gemini.status_code == 429
    retry = [d for d in gemini.json()["error"]["details"] if d["@type"].endswith("RetryInfo")]
    assert retry[0]["retryDelay"] == "38.5s"


async def test_server_errors_in_each_protocol_shape(client: httpx.AsyncClient) -> None:
    await inject(client, kind="error_500", model="gpt-4o-mini")
    await inject(client, kind="error_503", model="claude-sonnet-4")
    await inject(client, kind="error_503", model="gemini-2.5-flash")
    openai = await post_chat(client)
    claude = await client.post(
        "/anthropic/v1/messages",
        json={**chat("claude-sonnet-4"), "max_tokens": 5},
        headers=ANTHROPIC,
    )
    gemini = await client.post(
        "/gemini/v1beta/models/gemini-2.5-flash:generateContent",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": "k"},
    )

    assert openai.status_code == 500
    assert openai.json()["error"]["type"] == "server_error"
    assert claude.status_code == 503
    assert claude.json()["error"]["type"] == "overloaded_error"
    assert gemini.status_code == 503
    assert gemini.json()["error"]["status"] == "UNAVAILABLE"


async def test_timeout_fault_makes_the_client_time_out(client: httpx.AsyncClient) -> None:
    await inject(client, kind="timeout", delay_s=10)

    with pytest.raises(httpx.ReadTimeout):
        await client.post("/openai/v1/chat/completions", json=chat(), timeout=0.2)
    assert (await post_chat(client)).status_code == 200


async def test_reset_mid_stream_cuts_the_stream_after_some_chunks(
    client: httpx.AsyncClient,
) -> None:
    await inject(client, kind="reset_mid_stream")
    received: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        await collect_stream(client, "/openai/v1/chat/completions", chat(stream=True), received)

    data = [line for line in received if line.startswith("data: ")]
    assert len(data) >= 2
    assert "data: [DONE]" not in data
    assert json.loads(data[0][6:])["choices"][0]["delta"]["role"] == "assistant"


async def test_reset_mid_stream_on_non_streaming_closes_without_response(
    client: httpx.AsyncClient,
) -> None:
    await inject(client, kind="reset_mid_stream")

    with pytest.raises(httpx.RemoteProtocolError):
        await post_chat(client)
    assert (await post_chat(client)).status_code == 200


async def test_slow_drip_still_delivers_a_complete_reply(client: httpx.AsyncClient) -> None:
    await inject(client, kind="slow_drip", delay_s=0.005, count=2)
    streamed = await post_chat(client, stream=True)
    whole = await post_chat(client)

    assert streamed.text.rstrip().endswith("data: [DONE]")
    assert whole.json()["object"] == "chat.completion"
    state = (await client.get("/_sim/state")).json()["models"]["gpt-4o-mini"]
    assert state["faulted"] == 2
    assert state["faults_pending"] == 0


async def test_malformed_json_breaks_body_and_one_sse_line(client: httpx.AsyncClient) -> None:
    await inject(client, kind="malformed_json", count=2)
    whole = await post_chat(client)
    streamed = await post_chat(client, stream=True)

    assert whole.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(whole.text)
    bad = []
    for line in streamed.text.splitlines():
        if line.startswith("data: {"):
            try:
                json.loads(line[6:])
            except json.JSONDecodeError:
                bad.append(line)
    assert len(bad) == 1


async def test_count_minus_one_lasts_until_cleared(client: httpx.AsyncClient) -> None:
    await inject(client, kind="error_503", count=-1)
    statuses = [(await post_chat(client)).status_code for _ in range(3)]
    pending = (await client.get("/_sim/state")).json()["models"]["gpt-4o-mini"]
    cleared = await client.delete("/_sim/faults")

    assert statuses == [503, 503, 503]
    assert pending["faults_pending"] == -1
    assert cleared.json() == {"faults": []}
    assert (await post_chat(client)).status_code == 200


async def test_fault_for_one_model_leaves_others_alone(client: httpx.AsyncClient) -> None:
    await inject(client, kind="error_500", model="grok-4", count=2)
    other = await post_chat(client)
    target = await post_chat(client, model="grok-4")

    assert other.status_code == 200
    assert target.status_code == 500
    faults = (await client.get("/_sim/faults")).json()["faults"]
    assert [(f["model"], f["count"]) for f in faults] == [("grok-4", 1)]


async def test_reset_endpoint_clears_faults(client: httpx.AsyncClient) -> None:
    await inject(client, kind="error_500", count=5)
    await client.post("/_sim/reset")

    assert (await post_chat(client)).status_code == 200


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"kind": "explode"}, 400),
        ({"kind": "timeout", "count": 0}, 400),
        ({"kind": "timeout", "delay_s": -1}, 400),
        ({"kind": "timeout", "model": "nope"}, 404),
    ],
)
async def test_invalid_fault_requests_are_rejected(
    client: httpx.AsyncClient, fault: dict[str, Any], status: int
) -> None:
    resp = await client.post("/_sim/faults", json=fault)

    assert resp.status_code == status
    assert "message" in resp.json()["error"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "marker"),
    [
        (
            "/anthropic/v1/messages",
            {**chat("claude-sonnet-4"), "max_tokens": 50, "stream": True},
            ANTHROPIC,
            "event: message_stop",
        ),
        (
            "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            {"contents": [{"parts": [{"text": "one two three four five"}]}]},
            {"x-goog-api-key": "k"},
            '"finishReason"',
        ),
    ],
)
async def test_reset_mid_stream_for_anthropic_and_gemini(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str], marker: str
) -> None:
    await inject(client, kind="reset_mid_stream")
    received: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        await collect_stream(client, path, body, received, headers)

    assert any(line.startswith("data: ") for line in received)
    assert not any(marker in line for line in received)
