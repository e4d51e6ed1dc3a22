"""Anthropic Messages surface of the simulator, over real sockets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from symphony.clock import FixedClock

HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sim_clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def sim_path() -> str:
    return "/anthropic"


def message(**extra: object) -> dict[str, object]:
    return {
        "model": "claude-sonnet-4",
        "max_tokens": 256,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Name three rivers"}]}],
        **extra,
    }


def events(text: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


async def test_missing_api_key_is_authentication_error(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/v1/messages", json=message(), headers={"anthropic-version": "2023-06-01"}
    )

    assert resp.status_code == 401
    assert resp.json()["type"] == "error"
    assert resp.json()["error"]["type"] == "authentication_error"


async def test_missing_version_header_is_invalid_request(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/messages", json=message(), headers={"x-api-key": "k"})

    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"
    assert "anthropic-version" in resp.json()["error"]["message"]


async def test_max_tokens_is_required(client: httpx.AsyncClient) -> None:
    body = message()
    del body["max_tokens"]
    resp = await client.post("/v1/messages", json=body, headers=HEADERS)

    assert resp.status_code == 400
    assert resp.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }


async def test_non_streaming_message_shape(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/messages", json=message(), headers=HEADERS)

    assert resp.status_code == 200
    body = resp.json()
    assert body["type"] == "message"
    assert body["role"] == "assistant"
    assert body["model"] == "claude-sonnet-4"
    assert body["id"].startswith("msg_")
    assert body["content"] == [
        {"type": "text", "text": "Simulated claude-sonnet-4 answer: Name three rivers"}
    ]
    assert body["stop_reason"] == "end_turn"
    assert body["stop_sequence"] is None
    assert body["usage"]["input_tokens"] == -(-len("Be brief.Name three rivers") // 4)
    assert body["usage"]["output_tokens"] == 6


async def test_unified_headers_report_utilization_and_epoch_resets(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.post("/v1/messages", json=message(), headers=HEADERS)

    start = int(START.timestamp())
    assert resp.headers["anthropic-ratelimit-unified-status"] == "allowed"
    assert resp.headers["anthropic-ratelimit-unified-5h-utilization"] == "0.00"
    assert resp.headers["anthropic-ratelimit-unified-5h-reset"] == str(start + 5 * 3600)
    assert resp.headers["anthropic-ratelimit-unified-7d-reset"] == str(start + 7 * 86400)
    assert "anthropic-ratelimit-unified-7d-utilization" in resp.headers


async def test_streaming_event_sequence_with_cumulative_usage(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/messages", json=message(stream=True), headers=HEADERS)

    assert resp.status_code == 200
    stream = events(resp.text)
    names = [name for name, _ in stream]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert "ping" in names
    assert all(name == data["type"] for name, data in stream)
    deltas = [data["delta"] for name, data in stream if name == "content_block_delta"]
    assert all(d["type"] == "text_delta" for d in deltas)  # type: ignore[index]
    text = "".join(d["text"] for d in deltas)  # type: ignore[index]
    assert text == "Simulated claude-sonnet-4 answer: Name three rivers"
    message_delta = dict(stream)["message_delta"]
    assert message_delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert message_delta["usage"]["output_tokens"] == 6  # type: ignore[index]


async def test_max_tokens_cut_reports_stop_reason_max_tokens(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/messages", json=message(max_tokens=2), headers=HEADERS)

    assert resp.json()["stop_reason"] == "max_tokens"
    assert resp.json()["usage"]["output_tokens"] == 2


async def test_unknown_model_is_not_found_error(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/messages", json=message(model="claude-9"), headers=HEADERS)

    assert resp.status_code == 404
    assert resp.json()["type"] == "error"
    assert resp.json()["error"]["type"] == "not_found_error"
