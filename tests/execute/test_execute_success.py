"""POST /route/execute against the demo simulator: the output contract, accounting, retries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

if TYPE_CHECKING:
    from conftest import Demo

PRIMARY = "openai/chatgpt-plus"  # the demo policy's qa/LOA 1 rule prefers it
QA = {"task": "qa", "input": "summarise the release notes please", "loa": 1}
NO_BACKOFF = {"retry": {"max_attempts": 2, "backoff_s": 0}}

# The contract, plus the documented extras (pinned so additions are deliberate).
TOP_KEYS = {
    "audit_id",
    "latency_ms",
    "answer",
    "citations",
    "tickets",
    "logs",
    "decision",
    "controls",
    "audit",
}
CONTROLS_KEYS = {"model", "sampling", "cost_guard", "retry", "safety"} | {"routing"}
AUDIT_KEYS = {
    "audit_id",
    "plan_id",
    "policy_version",
    "latency_ms",
    "cost_usd",
    "model_usage",
    "attempts",
    "stopped_reason",
} | {"model", "finish_reason"}
ATTEMPT_KEYS = {"model", "outcome", "status", "latency_ms", "reason"} | {"kind"}


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus exposition text (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


async def test_success_answers_in_the_output_contract(demo: Demo) -> None:
    body = await demo.execute(
        {
            **QA,
            "controls": {
                "sampling": {"temperature": 0.3, "max_tokens": 64},
                "cost_guard": {"usd_cap": 0.05},
            },
        }
    )

    assert set(body) == TOP_KEYS
    assert body["answer"].startswith("Simulated gpt-4o-mini answer: summarise the release notes")
    assert body["citations"] == []
    assert body["tickets"] == []
    assert all(isinstance(line, str) for line in body["logs"])
    assert len(body["logs"]) == 2
    assert set(body["decision"]) == {"model", "provider", "reason"}
    assert body["decision"]["model"] == PRIMARY
    assert body["decision"]["provider"] == "openai"
    assert "qa-hosted-first" in body["decision"]["reason"]

    controls = body["controls"]
    assert set(controls) == CONTROLS_KEYS
    assert controls["model"] == {
        "id": PRIMARY,
        "provider": "openai",
        "reason": body["decision"]["reason"],
    }
    assert controls["sampling"] == {"temperature": 0.3, "top_p": None, "max_tokens": 64}
    assert controls["cost_guard"] == {"usd_cap": 0.05, "stop_on_cap": True}
    assert controls["retry"] == {"max_attempts": 2, "backoff_s": 0.25}
    assert controls["safety"] == {"loa": 1, "allow_hosted": True}

    audit = body["audit"]
    assert set(audit) == AUDIT_KEYS
    assert audit["audit_id"] == body["audit_id"]
    assert audit["audit_id"].startswith("aud_")
    assert audit["plan_id"].startswith("pln_")
    assert audit["policy_version"] == demo.state.policy.snapshot.version
    assert audit["stopped_reason"] is None
    [attempt] = audit["attempts"]
    assert set(attempt) == ATTEMPT_KEYS
    assert attempt["model"] == PRIMARY
    assert attempt["outcome"] == "ok"
    assert attempt["status"] == 200
    assert attempt["reason"] == "stop"
    assert attempt["latency_ms"] >= 0

    # Usage is the upstream's own count, priced from the policy.
    sim = await demo.sim_model(PRIMARY)
    assert audit["model_usage"] == {
        "prompt_tokens": sim["prompt_tokens"],
        "completion_tokens": sim["completion_tokens"],
    }
    price = demo.state.policy.snapshot.model(PRIMARY).price
    expected = (
        price.prompt * sim["prompt_tokens"] + price.completion * sim["completion_tokens"]
    ) / 1_000_000
    assert audit["cost_usd"] == pytest.approx(expected, rel=1e-6)
    assert expected > 0

    stored = await demo.state.audit.get(body["audit_id"])
    assert stored is not None
    assert stored.type == "route.execute"


async def test_usage_lands_in_the_ledger_and_the_burndown(demo: Demo) -> None:
    assert (await demo.window(PRIMARY))["used"] == 0
    first = await demo.execute(QA)
    second = await demo.execute(QA)

    window = await demo.window(PRIMARY)
    assert window["used"] == 2
    assert window["remaining"] == window["cap"] - 2
    burndown = (await demo.client.get("/status/burndown.json")).json()["windows"]["h1"][PRIMARY]
    tokens = sum(
        b["audit"]["model_usage"]["prompt_tokens"] + b["audit"]["model_usage"]["completion_tokens"]
        for b in (first, second)
    )
    assert burndown["requests"] == 2
    assert burndown["tokens"] == tokens
    assert burndown["cost_usd"] == pytest.approx(
        first["audit"]["cost_usd"] + second["audit"]["cost_usd"], abs=1e-6
    )
    executed = demo.events("route.execute")
    assert [e["audit_id"] for e in executed] == [first["audit_id"], second["audit_id"]]
    assert executed[0]["model"] == PRIMARY
    assert executed[0]["fallback"] is False


async def test_metrics_after_an_execute(demo: Demo) -> None:
    body = await demo.execute(QA)
    text = (await demo.client.get("/metrics")).text

    usage = body["audit"]["model_usage"]
    assert (
        metric(
            text, "symphony_route_execute_latency_seconds_count", model=PRIMARY, tenant="default"
        )
        == 1
    )
    assert (
        metric(text, "symphony_tokens_total", model=PRIMARY, tenant="default", type="prompt")
        == usage["prompt_tokens"]
    )
    assert (
        metric(text, "symphony_tokens_total", model=PRIMARY, tenant="default", type="completion")
        == usage["completion_tokens"]
    )
    assert metric(text, "symphony_route_decisions_total", model=PRIMARY, reason="primary") == 1
    assert metric(text, "symphony_upstream_attempts_total", model=PRIMARY, outcome="ok") == 1
    assert metric(
        text, "symphony_cost_usd_total", model=PRIMARY, tenant="default"
    ) == pytest.approx(body["audit"]["cost_usd"], rel=1e-4)


async def test_a_503_is_retried_on_the_same_model(demo: Demo) -> None:
    await demo.fault(PRIMARY, "error_503")
    body = await demo.execute({**QA, "controls": NO_BACKOFF})

    attempts = body["audit"]["attempts"]
    assert [(a["model"], a["outcome"], a["status"]) for a in attempts] == [
        (PRIMARY, "error", 503),
        (PRIMARY, "ok", 200),
    ]
    assert attempts[0]["kind"] == "unavailable"
    assert body["decision"]["model"] == PRIMARY
    assert body["answer"]
    sim = await demo.sim_model(PRIMARY)
    assert sim["requests"] == 2
    assert sim["served"] == 1
    # The success cleared the strike: the model is not cooling down.
    assert (await demo.window(PRIMARY))["cooldown_until"] is None
    text = (await demo.client.get("/metrics")).text
    assert (
        metric(text, "symphony_upstream_attempts_total", model=PRIMARY, outcome="unavailable") == 1
    )


async def test_a_chat_message_list_is_sent_upstream(demo: Demo) -> None:
    body = await demo.execute(
        {
            "task": "qa",
            "loa": 1,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "alpha beta gamma"},
            ],
        }
    )
    assert body["answer"] == "Simulated gpt-4o-mini answer: alpha beta gamma"


@pytest.mark.parametrize(
    "body",
    [{"task": "qa"}, {"task": "qa", "input": "x", "controls": {"retry": {"max_attempts": 0}}}],
)
async def test_invalid_execute_bodies_are_422(demo: Demo, body: dict[str, Any]) -> None:
    response = await demo.client.post("/route/execute", json=body)
    assert response.status_code == 422
