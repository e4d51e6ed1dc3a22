"""Bad input gets a 4xx naming the field, never a 5xx (issue 11, item 11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest


def fields(response: Any) -> list[str]:
    return [f["path"] for f in response.json()["error"].get("fields", [])]


async def test_a_27_digit_before_seq_is_a_422_naming_it(harness: Any) -> None:
    r = await harness.client.get("/audit", params={"before_seq": "9" * 27})
    assert r.status_code == 422
    assert fields(r) == ["query.before_seq"]
    r = await harness.client.get("/audit", params={"before_seq": str(2**63 - 1)})
    assert r.status_code == 200


async def test_a_huge_rag_offset_is_a_422_naming_it(harness: Any) -> None:
    r = await harness.client.get("/rag/documents", params={"offset": str(2**63)})
    assert r.status_code == 422  # found by the fuzzer: SQLite's OverflowError was a 500
    assert fields(r) == ["query.offset"]


@pytest.mark.parametrize("value", ["9" * 5000, "9" * 20, "²", "-1", "1e3"])
async def test_a_bad_last_event_id_is_a_422_naming_it(harness: Any, value: str) -> None:
    r = await harness.client.get("/events", headers={"Last-Event-ID": value.encode("latin-1")})
    assert r.status_code == 422
    assert fields(r) == ["header.Last-Event-ID"]
    assert "at most 19 digits" in r.json()["error"]["message"]


async def test_a_chunked_v1_body_over_the_limit_is_a_413(harness: Any) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"model":"auto","messages":[{"role":"user","content":"'
        for _ in range(40):  # 2.5 MB, no content-length: the limit counts what arrives
            yield b"x" * 65_536
        yield b'"}]}'

    for path in ("/v1/chat/completions", "/v1/embeddings", "/route/execute"):
        r = await harness.client.post(
            path, content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413, (path, r.text)
        assert "exceeds 2097152 bytes" in r.text


async def test_a_denormal_timeout_is_a_422_naming_it(harness: Any) -> None:
    body = {"task": "qa", "input": "hi", "controls": {"timeout_s": 5e-324}}
    r = await harness.client.post("/route/execute", json=body)
    assert r.status_code == 422
    assert fields(r) == ["body.controls.timeout_s"]
