"""An overall deadline for every execution (issue 11 item 6).

An upstream sending a byte every 2 s held streams open past 330 s: each read was bounded,
the whole was not. `timeout_s` (request, policy `defaults.timeout_s`, `/v1` header
`x-symphony-timeout-s`) now bounds every attempt, retry, fallback and the stream.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app_support import DEMO_POLICY, demo_settings, running_demo

if TYPE_CHECKING:
    from conftest import Demo

PRIMARY = "openai/chatgpt-plus"
QA = {"task": "qa", "input": "tell me a long story about the sea", "loa": 1}


async def upstream_calls(demo: Demo) -> int:
    state: dict[str, Any] = (await demo.sim.get("/_sim/state")).json()
    return sum(int(m["requests"]) for m in state["models"].values())


def sse_events(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    event = "message"
    for line in text.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            found.append((event, line[5:].strip()))
    return found


async def test_a_slow_drip_stream_ends_at_the_deadline(demo: Demo) -> None:
    await demo.fault(PRIMARY, "slow_drip", delay_s=0.4)
    body = {**QA, "stream": True, "controls": {"timeout_s": 1.2}}
    response = await demo.client.post("/route/execute", json=body)
    assert response.status_code == 200
    events = sse_events(response.text)
    deltas = [e for e in events if e[0] == "delta"]
    assert deltas, "some text arrived before the deadline"
    [(_, result)] = [e for e in events if e[0] == "result"]
    audit = json.loads(result)["audit"]
    assert audit["stopped_reason"] == "deadline"
    assert [a["outcome"] for a in audit["attempts"]] == ["deadline"]
    assert (await demo.sim_model(PRIMARY))["in_flight"] == 0  # we hung up on the drip


async def test_a_v1_stream_takes_its_deadline_from_a_header_and_says_it_was_cut(
    demo: Demo,
) -> None:
    await demo.fault(PRIMARY, "slow_drip", delay_s=0.4)
    response = await demo.client.post(
        "/v1/chat/completions",
        json={"model": PRIMARY, "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-symphony-timeout-s": "1.2"},
    )
    assert response.status_code == 200
    assert "deadline_exceeded" in response.text
    assert '"finish_reason":"stop"' not in response.text.replace(" ", "")


async def test_a_stalled_call_fails_at_the_deadline_and_starts_no_fallback(demo: Demo) -> None:
    await demo.fault(PRIMARY, "timeout", delay_s=5)
    body = {**QA, "controls": {"timeout_s": 0.6, "retry": {"max_attempts": 1, "backoff_s": 0}}}
    response = await demo.client.post("/route/execute", json=body)
    assert response.status_code == 502, response.text
    first, after = response.json()["error"]["detail"]["audit"]["attempts"]
    assert (first["model"], first["kind"]) == (PRIMARY, "timeout")
    assert after["kind"] == "timeout"
    assert "deadline of 0.6s passed before this attempt" in after["reason"]
    assert await upstream_calls(demo) == 1


@pytest.mark.parametrize("value", [5e-324, 0, -1, 1e9])
async def test_a_deadline_out_of_bounds_is_a_422_naming_the_field(demo: Demo, value: float) -> None:
    response = await demo.client.post(
        "/route/execute", json={**QA, "controls": {"timeout_s": value}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "body.controls.timeout_s"


@pytest.mark.parametrize("value", ["5e-324", "soon", "nan", "1e9"])
async def test_a_v1_deadline_header_out_of_bounds_is_refused_by_name(
    demo: Demo, value: str
) -> None:
    response = await demo.client.post(
        "/v1/chat/completions",
        json={"model": PRIMARY, "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-symphony-timeout-s": value},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "x-symphony-timeout-s"
    assert "x-symphony-timeout-s" in error["message"]


async def test_the_policy_sets_the_default_deadline(tmp_path: Path) -> None:
    text = DEMO_POLICY.read_text()
    old = "defaults: { stream: true,"
    assert old in text
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "demo.policy.yml").write_text(
        text.replace(old, "defaults: { timeout_s: 0.6, stream: true,")
    )
    async with running_demo(demo_settings(tmp_path)) as demo:
        await demo.fault(PRIMARY, "timeout", delay_s=5)
        body = {**QA, "controls": {"retry": {"max_attempts": 1, "backoff_s": 0}}}
        response = await demo.client.post("/route/execute", json=body)
        assert response.status_code == 502, response.text
        attempts = response.json()["error"]["detail"]["audit"]["attempts"]
        assert "deadline of 0.6s passed" in attempts[-1]["reason"]
