"""The kill switch stops work already in flight (issue 11 item 5).

A kill-all during a slow first attempt used to let a fallback run 1.3 s later and answer
200; a stalled stream went on to a retry and a fallback. Every attempt, retry and fallback
now checks the switch before it starts.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from app_support import poll_until

if TYPE_CHECKING:
    from conftest import Demo

PRIMARY = "openai/chatgpt-plus"
QA = {"task": "qa", "input": "explain the quarterly numbers", "loa": 1}
ONE_TRY = {"max_attempts": 1, "backoff_s": 0}


async def upstream_calls(demo: Demo) -> int:
    state: dict[str, Any] = (await demo.sim.get("/_sim/state")).json()
    return sum(int(m["requests"]) for m in state["models"].values())


async def kill_all_while_the_first_attempt_hangs(demo: Demo, body: dict[str, Any]) -> Any:
    # The primary says nothing for 2 s; the attempt gives up after 0.8 s.
    await demo.fault(PRIMARY, "timeout", delay_s=2.0)
    call = asyncio.create_task(demo.client.post("/route/execute", json=body))

    async def in_flight() -> bool:
        return (await demo.sim_model(PRIMARY))["in_flight"] == 1

    await poll_until(in_flight, "the first attempt to reach the upstream")
    killed = await demo.client.post("/control/kill", json={"scope": "all", "reason": "drill"})
    assert killed.status_code == 200, killed.text
    return await call


async def test_a_kill_during_a_slow_first_attempt_calls_no_fallback(demo: Demo) -> None:
    body = {
        **QA,
        "controls": {"attempt_timeout_s": 0.8, "retry": {"max_attempts": 1, "backoff_s": 0}},
    }
    response = await kill_all_while_the_first_attempt_hangs(demo, body)

    assert response.status_code == 502, response.text
    attempts = response.json()["error"]["detail"]["audit"]["attempts"]
    first, *rest = attempts
    assert (first["model"], first["outcome"], first["kind"]) == (PRIMARY, "error", "timeout")
    assert rest, "the plan had fallbacks"
    assert {a["outcome"] for a in rest} == {"killed"}
    assert all(a["reason"].startswith("killed:") for a in rest)
    assert await upstream_calls(demo) == 1  # the first attempt only: no fallback was called


async def test_a_stalled_stream_goes_on_to_no_retry_and_no_fallback(demo: Demo) -> None:
    body = {
        **QA,
        "stream": True,
        "controls": {"attempt_timeout_s": 0.8, "retry": {"max_attempts": 3, "backoff_s": 0}},
    }
    response = await kill_all_while_the_first_attempt_hangs(demo, body)

    assert response.status_code == 502, response.text
    attempts = response.json()["error"]["detail"]["audit"]["attempts"]
    assert [a["outcome"] for a in attempts][:2] == ["error", "killed"]  # no retry: killed
    assert attempts[1]["model"] == PRIMARY
    assert await upstream_calls(demo) == 1


async def test_without_a_kill_the_same_failure_falls_back(demo: Demo) -> None:
    """The control: the fallback runs when nobody pulls the switch."""
    await demo.fault(PRIMARY, "timeout", delay_s=2.0)
    body = {
        **QA,
        "controls": {"attempt_timeout_s": 0.8, "retry": {"max_attempts": 1, "backoff_s": 0}},
    }
    response = await demo.client.post("/route/execute", json=body)
    assert response.status_code == 200, response.text
    assert await upstream_calls(demo) == 2
