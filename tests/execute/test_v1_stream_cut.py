"""A `/v1` stream cut off after text was sent says so (issue 11, item 10).

After an upstream reset or a kill, the stream ends with `finish_reason: "length"` and an
error event in OpenAI's stream error shape, never `"stop"` and `[DONE]`; the official SDK
raises instead of handing the truncated text over as a whole answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import openai
import orjson
import pytest

if TYPE_CHECKING:
    from conftest import Demo, LiveServer

MODEL = "openai/chatgpt-plus"
BODY = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "one two three four five six seven eight"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}


def frames(raw: str) -> list[Any]:
    out: list[Any] = []
    for frame in raw.split("\n\n"):
        if frame.startswith("data: "):
            data = frame[len("data: ") :]
            out.append(data if data == "[DONE]" else orjson.loads(data))
    return out


async def test_an_upstream_reset_mid_stream_ends_with_an_error_event(demo: Demo) -> None:
    await demo.fault(MODEL, "reset_mid_stream")
    r = await demo.client.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 200
    events = frames(r.text)
    assert "[DONE]" not in events
    *chunks, error = events
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text  # some text had been sent: this is why it could not fall back
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "length"
    assert "stop" not in finishes
    assert chunks[-1]["choices"] == []  # the usage chunk still comes, before the error
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    assert set(error) == {"error"}
    assert set(error["error"]) == {"message", "type", "param", "code"}
    assert error["error"]["code"] == "stream_interrupted"
    assert error["error"]["type"] == "api_error"
    audit_id = r.headers["x-symphony-audit-id"]
    assert audit_id in error["error"]["message"]
    record = await demo.state.audit.get(audit_id)
    assert record is not None
    assert record.payload["stopped_reason"] == "upstream_error"


async def test_the_sdk_raises_on_a_cut_stream(live_server: LiveServer) -> None:
    await live_server.sim.post(
        "/_sim/faults", json={"model": "gpt-4o-mini", "kind": "reset_mid_stream"}
    )
    client = openai.AsyncOpenAI(
        base_url=f"{live_server.url}/v1",
        api_key="unused",
        max_retries=0,
        http_client=httpx.AsyncClient(timeout=30),
    )
    received: list[str] = []

    async def read_all() -> None:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=BODY["messages"],
            stream=True,  # type: ignore[arg-type]
        )
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")

    async with client:
        with pytest.raises(openai.APIError) as caught:
            await read_all()
    assert "".join(received)
    assert "cut off" in caught.value.message


async def test_a_kill_mid_stream_ends_with_an_error_event(live_server: LiveServer) -> None:
    await live_server.sim.post(
        "/_sim/faults",
        json={"model": "gpt-4o-mini", "kind": "slow_drip", "delay_s": 0.2},
    )
    raw = ""
    killed = False
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=BODY) as r,
    ):
        assert r.status_code == 200
        async for piece in r.aiter_text():
            raw += piece
            if '"content":" one"' in raw and not killed:
                killed = True
                kill = {"scope": "model", "target": MODEL, "reason": "incident 7"}
                done = await client.post("/control/kill", json=kill)
                assert done.status_code == 200, done.text
    events = frames(raw)
    assert "[DONE]" not in events
    error = events[-1]["error"]
    assert error["code"] == "killed"
    finishes = [c["choices"][0]["finish_reason"] for c in events[:-1] if c["choices"]]
    assert finishes[-1] == "length"
    text = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in events[:-1] if c["choices"]
    )
    assert text.startswith("Simulated")
    assert "eight" not in text  # stopped before the end of the answer
