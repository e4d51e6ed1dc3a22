"""The Model Matrix (GET /models, /models/{name}) and operator window observations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

ITEM_FIELDS = {
    "model",
    "provider",
    "class",
    "configured",
    "executable",
    "simulated",
    "window",
    "schedule",
    "latency_p95_ms",
    "price",
    "loa_max",
    "allow_tasks",
}
WINDOW_FIELDS = {
    "kind",
    "open",
    "remaining",
    "cap",
    "resets_at",
    "resets_at_local",
    "source",
    "reserve_hold",
    "used",
    "unit",
    "label",
    "remaining_fraction",
    "power_window_open",
    "next_power_window",
    "cooldown_until",
}


async def test_every_model_has_every_contract_field(harness: Any) -> None:
    response = await harness.client.get("/models")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["model"] for i in items] == [m.name for m in harness.state.policy.snapshot.models]
    for item in items:
        assert set(item) >= ITEM_FIELDS, item["model"]
        assert set(item["window"]) >= WINDOW_FIELDS, item["model"]
        assert set(item["schedule"]) >= {"power_window_open", "next"}
        for interval in item["schedule"]["next"]:
            assert set(interval) == {"start", "end", "start_local", "end_local"}
        assert item["configured"] is True
        assert item["simulated"] is False
        assert isinstance(item["allow_tasks"], list)
        assert isinstance(item["loa_max"], int)


async def test_matrix_values_follow_the_policy(harness: Any) -> None:
    items = {i["model"]: i for i in (await harness.client.get("/models")).json()["items"]}
    claude = items["anthropic/claude-pro"]
    assert claude["provider"] == "anthropic"
    assert claude["class"] == "hosted"
    assert claude["executable"] is False  # no ANTHROPIC_API_KEY in this app's environment
    assert claude["price"] == {"prompt": 3.0, "completion": 15.0, "unit": "USD per 1M tokens"}
    assert claude["loa_max"] == 1
    assert claude["allow_tasks"] == ["writing", "code", "qa"]
    assert claude["window"]["cap"] == 45
    assert claude["window"]["source"] == "configured"
    assert claude["latency_p95_ms"] is None
    ollama = items["local/ollama"]
    assert ollama["executable"] is True  # no key needed
    assert items["openai/chatgpt-plus"]["executable"] is False  # tracked only
    assert items["openai/chatgpt-plus"]["price"] is None
    # chatgpt-plus has six daily slots in model.windows.yml: the next ones are listed.
    assert items["openai/chatgpt-plus"]["schedule"]["next"]


async def test_observed_latency_shows_in_the_matrix(harness: Any) -> None:
    for ms in (100.0, 200.0, 900.0):
        harness.state.stats.observe("local/ollama", ms)
    item = (await harness.client.get("/models/local/ollama")).json()
    assert item["latency_p95_ms"] == 900.0


@pytest.mark.parametrize("name", ["anthropic/claude-pro", "local/ollama", "google/gemini-pro"])
async def test_one_model_by_name_with_a_slash(harness: Any, name: str) -> None:
    response = await harness.client.get(f"/models/{name}")
    assert response.status_code == 200
    item = response.json()
    assert item["model"] == name
    assert set(item) >= ITEM_FIELDS


async def test_unknown_model_is_404(harness: Any) -> None:
    response = await harness.client.get("/models/acme/nothing")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_model"
    assert "'acme/nothing'" in error["message"]
    assert (await harness.client.post("/windows/acme/nothing/observe", json={})).status_code == 404


async def test_unknown_tenant_on_the_matrix_is_404(harness: Any) -> None:
    response = await harness.client.get("/models", params={"tenant": "globex"})
    assert response.status_code == 404
    assert "'globex'" in response.json()["error"]["message"]


async def test_observation_becomes_learned_state_and_an_event(harness: Any) -> None:
    now = harness.state.clock.now()
    resets = now + timedelta(hours=2)
    before = harness.state.bus.next_id
    body = {
        "resets_at": resets.isoformat().replace("+00:00", "Z"),
        "remaining": 12,
        "cap": 100,
        "source": "operator",
        "note": "console says 12 left",
    }
    response = await harness.client.post("/windows/xai/grok/observe", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["model"] == "xai/grok"
    assert result["learned"]["source"] == "learned"
    assert result["learned"]["remaining"] == 12
    assert result["learned"]["note"] == "operator: console says 12 left"
    assert result["window"]["source"] == "learned"
    assert result["window"]["remaining"] == 12
    assert result["window"]["cap"] == 100
    assert result["window"]["resets_at"] == "2026-11-22T19:00:00Z"

    # The matrix now shows it.
    item = (await harness.client.get("/models/xai/grok")).json()
    assert item["window"]["source"] == "learned"
    assert item["window"]["remaining"] == 12
    assert item["learned"]["note"] == "operator: console says 12 left"

    events = [e for e in harness.state.bus.buffer if e.id >= before and e.type == "window.update"]
    assert len(events) == 1
    data = events[0].data()
    assert data["model"] == "xai/grok"
    assert data["window"]["remaining"] == 12


async def test_observation_survives_a_restart(harness: Any) -> None:
    body = {"remaining": 5, "cap": 50, "resets_at": "2026-11-22T19:00:00Z"}
    assert (
        await harness.client.post("/windows/deepseek/api/observe", json=body)
    ).status_code == 200
    learned = harness.state.usage_store.load_learned()
    assert learned["deepseek/api"].remaining == 5
