"""Failures against the demo simulator: 429 and 5xx fall back, timeouts, all-fail 502."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Demo

PRIMARY = "openai/chatgpt-plus"
QA = {"task": "qa", "input": "explain the quarterly numbers", "loa": 1}
ONE_TRY = {"retry": {"max_attempts": 1, "backoff_s": 0}}


def trail(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["model"], a["outcome"]) for a in body["audit"]["attempts"]]


async def test_429_with_a_long_retry_after_falls_back_and_cools_the_model_down(demo: Demo) -> None:
    await demo.fault(PRIMARY, "rate_limit", retry_after_s=120)
    body = await demo.execute(QA)

    # Retry-After 120 s is past RetryPolicy.max_retry_after_s: no second try, next candidate.
    first, second = body["audit"]["attempts"]
    assert (first["model"], first["outcome"], first["status"], first["kind"]) == (
        PRIMARY,
        "error",
        429,
        "rate_limited",
    )
    assert second["outcome"] == "ok"
    assert second["model"] != PRIMARY
    fallback = second["model"]
    assert body["decision"]["model"] == fallback
    assert body["answer"]
    assert f"fallback after {PRIMARY} failed" in body["decision"]["reason"]
    assert (await demo.sim_model(PRIMARY))["requests"] == 1

    # The window learned the cooldown from the 429's headers and the planner honours it.
    window = await demo.window(PRIMARY)
    assert window["cooldown_until"] is not None
    plan = (await demo.client.post("/route/plan", json=QA)).json()
    denied = {c["model"]: c for c in plan["candidates"]}[PRIMARY]
    assert denied["denied"]
    assert "cooldown" in [d["code"] for d in denied["deny_reasons"]]
    assert plan["decision"]["primary"]["model"] != PRIMARY

    [limit] = demo.events("rate.limit")
    assert limit["model"] == PRIMARY
    assert limit["status"] == 429
    assert limit["retry_after_s"] == 120
    assert datetime.fromisoformat(limit["cooldown_until"]) == datetime.fromisoformat(
        window["cooldown_until"]
    )
    updates = [e for e in demo.events("window.update") if e["model"] == PRIMARY]
    assert updates
    assert updates[-1]["source"] == "headers"
    executed = demo.events("route.execute")[-1]
    assert executed["fallback"] is True
    assert executed["model"] == fallback
    assert executed["rule"] == "qa-hosted-first"
    assert executed["ok"] is True

    records = await demo.state.audit.query(type="route.fallback")
    [record] = records
    assert record.payload["from"] == PRIMARY
    assert record.payload["to"] == fallback
    assert [a["outcome"] for a in record.payload["attempts"]] == ["error", "ok"]


async def test_429_with_a_short_retry_after_is_retried_on_the_same_model(demo: Demo) -> None:
    await demo.fault(PRIMARY, "rate_limit", retry_after_s=0)
    body = await demo.execute(QA)
    assert trail(body) == [(PRIMARY, "error"), (PRIMARY, "ok")]


async def test_5xx_falls_back_to_the_next_candidate(demo: Demo) -> None:
    await demo.fault(PRIMARY, "error_500")
    body = await demo.execute({**QA, "controls": ONE_TRY})

    first, second = body["audit"]["attempts"]
    assert (first["model"], first["status"], first["kind"]) == (PRIMARY, 500, "unavailable")
    assert second["outcome"] == "ok"
    assert second["model"] != PRIMARY
    assert body["decision"]["model"] == second["model"]
    assert (await demo.window(PRIMARY))["cooldown_until"] is not None
    assert len(await demo.state.audit.query(type="route.fallback")) == 1


async def test_a_slow_upstream_times_out_and_falls_back(demo: Demo) -> None:
    await demo.fault(PRIMARY, "timeout", delay_s=5)
    body = await demo.execute({**QA, "controls": {**ONE_TRY, "attempt_timeout_s": 0.3}})

    first, second = body["audit"]["attempts"]
    assert (first["model"], first["outcome"], first["kind"]) == (PRIMARY, "error", "timeout")
    assert second["outcome"] == "ok"
    assert second["model"] != PRIMARY
    assert body["answer"]


async def test_a_connection_reset_falls_back_when_not_streaming(demo: Demo) -> None:
    await demo.fault(PRIMARY, "reset_mid_stream")
    body = await demo.execute({**QA, "controls": ONE_TRY})

    first, second = body["audit"]["attempts"]
    assert (first["model"], first["outcome"], first["kind"]) == (PRIMARY, "error", "unavailable")
    assert second["outcome"] == "ok"
    assert body["answer"]


async def test_malformed_json_is_an_attempt_failure_not_a_500(demo: Demo) -> None:
    await demo.fault(PRIMARY, "malformed_json")
    body = await demo.execute({**QA, "controls": ONE_TRY})
    assert trail(body)[0] == (PRIMARY, "error")
    assert trail(body)[-1][1] == "ok"


async def test_every_candidate_failing_is_a_502_listing_each_attempt(demo: Demo) -> None:
    hinted = {**QA, "overrides": {"provider_hints": ["openai", "anthropic"]}}
    plan = (await demo.client.post("/route/plan", json=hinted)).json()
    candidates = [
        plan["decision"]["primary"]["model"],
        *[f["model"] for f in plan["decision"]["fallbacks"]],
    ]
    assert set(candidates) == {PRIMARY, "anthropic/claude-pro"}
    await demo.fault(PRIMARY, "error_503", count=-1)
    await demo.fault("anthropic/claude-pro", "error_500", count=-1)

    response = await demo.client.post(
        "/route/execute",
        json={**hinted, "controls": {"retry": {"max_attempts": 2, "backoff_s": 0}}},
    )

    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "all_candidates_failed"
    assert "4 attempts" in error["message"]
    audit = error["detail"]["audit"]
    assert error["detail"]["audit_id"] == audit["audit_id"]
    attempts = audit["attempts"]
    status = {PRIMARY: 503, "anthropic/claude-pro": 500}
    assert [(a["model"], a["status"]) for a in attempts] == [
        (m, status[m]) for m in candidates for _ in range(2)
    ]
    assert all(a["outcome"] == "error" and a["kind"] == "unavailable" for a in attempts)
    assert all(f"answered {a['status']}" in a["reason"] for a in attempts)
    assert audit["stopped_reason"] is None
    assert audit["audit_id"]
    stored = await demo.state.audit.get(audit["audit_id"])
    assert stored is not None
    assert [a["model"] for a in stored.payload["attempts"]] == [a["model"] for a in attempts]
    errors = demo.events("error")
    assert errors[-1]["code"] == "all_candidates_failed"
    # What an SLO evaluator needs to count the failed execute, and the execute counter.
    assert errors[-1]["rule"] == "qa-hosted-first"
    assert errors[-1]["model"] == candidates[-1]
    assert errors[-1]["latency_ms"] >= 0
    metrics = (await demo.client.get("/metrics")).text
    assert 'symphony_execute_total{model="none",outcome="error",rule="qa-hosted-first"} 1.0' in (
        metrics
    )


async def test_a_429_teaches_a_header_driven_window_its_cap_and_reset(demo: Demo) -> None:
    grok = {
        "task": "chat",
        "input": "hi",
        "loa": 1,
        "overrides": {"provider_hints": ["xai"]},
        "controls": ONE_TRY,
    }
    await demo.fault("xai/grok", "rate_limit", retry_after_s=90)
    await demo.execute(grok, status=502)

    window = await demo.window("xai/grok")
    sim_cap = (await demo.sim_model("xai/grok"))["window"]["cap"]
    assert (window["source"], window["cap"], window["remaining"]) == ("headers", sim_cap, 0)
    assert 80 <= window["eta_seconds"] <= 90
    assert window["cooldown_until"] is not None
    [limit] = demo.events("rate.limit")
    assert limit["model"] == "xai/grok"
    assert limit["retry_after_s"] == 90


async def test_a_success_teaches_a_header_driven_window(demo: Demo) -> None:
    proxy = {"task": "chat", "input": "hi", "loa": 1, "overrides": {"provider_hints": ["litellm"]}}
    body = await demo.execute(proxy)
    assert body["decision"]["model"] == "litellm/proxy"

    sim = (await demo.sim_model("litellm/proxy"))["window"]
    window = await demo.window("litellm/proxy")
    assert (window["source"], window["cap"], window["remaining"]) == (
        "headers",
        sim["cap"],
        sim["remaining"],
    )
    [update] = [e for e in demo.events("window.update") if e["model"] == "litellm/proxy"]
    assert update["source"] == "headers"
    assert update["remaining"] == sim["remaining"]
