"""The metrics the dashboard and alerts need, read from a running app's /metrics."""

from __future__ import annotations

from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import DemoApp
from symphony.errors import StoreError

RETRIES = "symphony_upstream_retries_total"
QA = {"task": "qa", "input": "explain the quarterly numbers", "loa": 1}


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of `name{labels}` in a Prometheus text exposition, or None."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


async def test_kill_switch_state_by_scope(demo_app: DemoApp) -> None:
    text = await demo_app.metrics()
    for scope in ("all", "tenant", "provider", "model"):
        assert sample(text, "symphony_killswitch_active_kills", scope=scope) == 0
    kill = {"scope": "model", "target": "xai/grok", "reason": "metrics test"}
    assert (await demo_app.client.post("/control/kill", json=kill)).status_code == 200
    text = await demo_app.metrics()
    assert sample(text, "symphony_killswitch_active_kills", scope="model") == 1
    assert sample(text, "symphony_killswitch_active_kills", scope="all") == 0
    lift = {"scope": "model", "target": "xai/grok", "reason": "done"}
    assert (await demo_app.client.post("/control/unkill", json=lift)).status_code == 200
    assert sample(await demo_app.metrics(), "symphony_killswitch_active_kills", scope="model") == 0


async def test_a_rejected_policy_file_shows_until_it_is_fixed(demo_app: DemoApp) -> None:
    assert sample(await demo_app.metrics(), "symphony_policy_last_reload_successful") == 1
    good = demo_app.policy.read_text()
    demo_app.policy.write_text(good.replace("loa_max: 2", "loa_max: lots", 1))
    assert (await demo_app.client.post("/policy/reload")).status_code == 422
    text = await demo_app.metrics()
    assert sample(text, "symphony_policy_last_reload_successful") == 0
    assert sample(text, "symphony_policy_reload_total", result="rejected") == 1
    demo_app.policy.write_text(good)
    assert (await demo_app.client.post("/policy/reload")).status_code == 200
    assert sample(await demo_app.metrics(), "symphony_policy_last_reload_successful") == 1


async def test_window_reset_time_matches_the_model_matrix(demo_app: DemoApp) -> None:
    text = await demo_app.metrics()
    window = (await demo_app.client.get("/models/google/gemini-pro")).json()["window"]
    resets_at = datetime.fromisoformat(window["resets_at"]).timestamp()
    exported = sample(text, "symphony_window_reset_timestamp_seconds", model="google/gemini-pro")
    assert exported == pytest.approx(resets_at, abs=1)
    assert sample(text, "symphony_window_remaining_fraction", model="google/gemini-pro") == 1


async def test_retries_and_fallbacks_are_counted(demo_app: DemoApp) -> None:
    fault = {"model": "gpt-4o-mini", "kind": "error_503", "count": 1}
    assert (await demo_app.sim.post("/_sim/faults", json=fault)).status_code == 200
    retry = {**QA, "controls": {"retry": {"max_attempts": 2, "backoff_s": 0}}}
    body = (await demo_app.client.post("/route/execute", json=retry)).json()
    assert [a["outcome"] for a in body["audit"]["attempts"]] == ["error", "ok"]
    text = await demo_app.metrics()
    assert (
        sample(
            text,
            "symphony_upstream_retries_total",
            model="openai/chatgpt-plus",
            reason="unavailable",
        )
        == 1
    )

    assert (await demo_app.sim.post("/_sim/faults", json=fault)).status_code == 200
    once = {**QA, "controls": {"retry": {"max_attempts": 1, "backoff_s": 0}}}
    body = (await demo_app.client.post("/route/execute", json=once)).json()
    fallback = body["decision"]["model"]
    assert fallback != "openai/chatgpt-plus"
    text = await demo_app.metrics()
    assert sample(text, "symphony_route_decisions_total", model=fallback, reason="fallback") == 1
    # No second retry: one attempt allowed.
    assert (
        sample(
            text,
            "symphony_upstream_retries_total",
            model="openai/chatgpt-plus",
            reason="unavailable",
        )
        == 1
    )


async def test_failed_store_writes_are_counted_per_store(demo_app: DemoApp) -> None:
    text = await demo_app.metrics()
    assert sample(text, "symphony_store_write_errors_total", store="ledger") == 0
    assert sample(text, "symphony_store_write_errors_total", store="audit") == 0
    with pytest.raises(StoreError):
        await demo_app.state.usage_store.writer.write(
            [("INSERT INTO no_such_table VALUES (1)", ())]
        )
    text = await demo_app.metrics()
    assert sample(text, "symphony_store_write_errors_total", store="ledger") == 1
    assert sample(text, "symphony_store_write_errors_total", store="audit") == 0
