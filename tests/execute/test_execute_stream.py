"""stream=true: SSE deltas then one result; mid-stream resets; the cost guard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from conftest import Demo, Poll

PRIMARY = "openai/chatgpt-plus"
QA = {"task": "qa", "input": "stream me the weekly report", "loa": 1, "stream": True}
ONE_TRY = {"retry": {"max_attempts": 1, "backoff_s": 0}}


def sse_events(text: str) -> list[tuple[str, Any]]:
    """Parse an SSE body into (event, decoded JSON data) pairs, skipping comments/pings."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            out.append((event, orjson.loads("\n".join(data))))
    return out


async def stream(demo: Demo, body: dict[str, Any]) -> tuple[list[str], dict[str, Any], list[str]]:
    """POST a streaming execute; return (delta texts, result body, event names in order)."""
    response = await demo.client.post("/route/execute", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[-1] == "result", names
    deltas = [data["text"] for name, data in events if name == "delta"]
    return deltas, events[-1][1], names


async def test_streaming_sends_deltas_then_one_result(demo: Demo) -> None:
    deltas, result, names = await stream(demo, QA)

    assert names[0] == "model"
    assert names.count("result") == 1
    assert len(deltas) > 3
    assert "".join(deltas) == result["answer"]
    assert result["answer"].startswith("Simulated gpt-4o-mini answer: stream me the weekly report")
    audit = result["audit"]
    assert audit["stopped_reason"] is None
    assert audit["finish_reason"] == "stop"
    assert [(a["model"], a["outcome"]) for a in audit["attempts"]] == [(PRIMARY, "ok")]
    sim = await demo.sim_model(PRIMARY)
    assert audit["model_usage"] == {
        "prompt_tokens": sim["prompt_tokens"],
        "completion_tokens": sim["completion_tokens"],
    }
    assert (sim["in_flight"], sim["abandoned"]) == (0, 0)  # read to its end
    assert (await demo.window(PRIMARY))["used"] == 1


async def test_a_failure_before_the_first_delta_falls_back_while_streaming(demo: Demo) -> None:
    await demo.fault(PRIMARY, "error_503")
    deltas, result, names = await stream(demo, {**QA, "controls": ONE_TRY})

    model = result["decision"]["model"]
    assert model != PRIMARY
    assert names[0] == "model"
    assert "".join(deltas) == result["answer"]
    assert result["answer"]
    assert [a["outcome"] for a in result["audit"]["attempts"]] == ["error", "ok"]


async def test_a_reset_mid_stream_ends_with_the_partial_answer(paced_demo: Demo) -> None:
    # Paced (not fast) simulator: each delta is read before the connection is cut. (With
    # everything in one burst, aiohttp raises the reset before handing out buffered data.)
    demo = paced_demo
    await demo.fault(PRIMARY, "reset_mid_stream")
    deltas, result, _ = await stream(demo, QA)

    full = "Simulated gpt-4o-mini answer: stream me the weekly report"
    assert deltas
    assert "".join(deltas) == result["answer"]
    assert full.startswith(result["answer"])
    assert result["answer"] != full
    audit = result["audit"]
    assert audit["stopped_reason"] == "upstream_error"
    [attempt] = audit["attempts"]  # text reached the client: no retry, no fallback
    assert (attempt["model"], attempt["outcome"], attempt["kind"]) == (
        PRIMARY,
        "error",
        "unavailable",
    )
    # The partial usage is still accounted.
    assert audit["model_usage"]["completion_tokens"] > 0
    assert (await demo.window(PRIMARY))["used"] == 1


LONG_WORD = "x" * 400


async def test_the_cost_guard_stops_a_stream_and_returns_the_partial_answer(
    demo: Demo, poll: Poll
) -> None:
    # Eight 400-character words: the simulator echoes them back, one word per token, but
    # each costs ~100 tokens by the running estimate (chars / 4) once it has been received.
    text = " ".join([LONG_WORD] * 8)
    cap = (
        2.0e-4  # above the planned estimate (~800 prompt + 20 completion tokens), below the answer
    )
    await demo.fault(PRIMARY, "slow_drip", delay_s=0.1)
    body = {
        **QA,
        "input": text,
        "controls": {
            "sampling": {"max_tokens": 20},
            "cost_guard": {"usd_cap": cap, "stop_on_cap": True},
        },
    }

    deltas, result, _ = await stream(demo, body)

    audit = result["audit"]
    assert result["decision"]["model"] == PRIMARY
    assert audit["stopped_reason"] == "cost_cap"
    assert [(a["model"], a["outcome"]) for a in audit["attempts"]] == [(PRIMARY, "cost_cap")]
    assert "".join(deltas) == result["answer"]
    received_words = result["answer"].count(LONG_WORD)
    assert 1 <= received_words < 8
    assert audit["cost_usd"] >= cap
    records = await demo.state.audit.query(type="route.cost_cap")
    assert [r.payload["model"] for r in records] == [PRIMARY]
    assert (await demo.window(PRIMARY))["used"] == 1

    # The upstream call was closed, not left to drip on to the end of its answer.
    async def upstream_ended() -> bool:
        return (await demo.sim_model(PRIMARY))["in_flight"] == 0

    await poll(upstream_ended, "the simulator to see the upstream request end")
    assert (await demo.sim_model(PRIMARY))["abandoned"] == 1


async def test_an_estimate_over_the_cap_is_denied_before_any_call(demo: Demo) -> None:
    hosted = {"provider_hints": ["openai", "anthropic"]}  # every candidate is priced
    response = await demo.client.post(
        "/route/execute",
        json={
            **QA,
            "stream": False,
            "overrides": hosted,
            "controls": {"cost_guard": {"usd_cap": 1e-9}},
        },
    )

    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "no_eligible_model"
    hinted = [c for c in body["candidates"] if c["provider"] in hosted["provider_hints"]]
    assert hinted
    assert all("over_cost_cap" in [d["code"] for d in c["deny_reasons"]] for c in hinted)
    state = (await demo.sim.get("/_sim/state")).json()
    assert all(m["requests"] == 0 for m in state["models"].values())


async def test_an_estimate_over_the_cap_is_a_409_json_body_when_streaming_too(demo: Demo) -> None:
    body = {
        **QA,
        "overrides": {"provider_hints": ["openai"]},
        "controls": {"cost_guard": {"usd_cap": 1e-9}},
    }
    response = await demo.client.post("/route/execute", json=body)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/json")
    [candidate] = [c for c in response.json()["candidates"] if c["model"] == PRIMARY]
    assert "over_cost_cap" in [d["code"] for d in candidate["deny_reasons"]]


async def test_accept_json_gets_the_whole_result_as_one_json_document(demo: Demo) -> None:
    # The VS Code extension seed called stream=true then `res.json()` (issue 12 item 5).
    response = await demo.client.post(
        "/route/execute", json=QA, headers={"accept": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    result = response.json()
    assert result["answer"].startswith("Simulated gpt-4o-mini answer: stream me the weekly report")
    assert result["audit"]["finish_reason"] == "stop"
    assert [(a["model"], a["outcome"]) for a in result["audit"]["attempts"]] == [(PRIMARY, "ok")]
    assert (await demo.window(PRIMARY))["used"] == 1


async def test_accept_json_gets_plan_errors_as_json_problems(demo: Demo) -> None:
    body = {
        **QA,
        "overrides": {"provider_hints": ["openai", "anthropic"]},
        "controls": {"cost_guard": {"usd_cap": 1e-9}},
    }
    response = await demo.client.post(
        "/route/execute", json=body, headers={"accept": "application/json"}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "no_eligible_model"


async def test_accept_event_stream_still_streams(demo: Demo) -> None:
    response = await demo.client.post(
        "/route/execute", json=QA, headers={"accept": "text/event-stream"}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [name for name, _ in sse_events(response.text)][-1] == "result"


async def test_the_document_declares_both_answers_of_a_streaming_execute(demo: Demo) -> None:
    doc = (await demo.client.get("/openapi.json")).json()
    operation = doc["paths"]["/route/execute"]["post"]
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "text/event-stream",
    }
    assert "Accept: application/json" in operation["description"]
