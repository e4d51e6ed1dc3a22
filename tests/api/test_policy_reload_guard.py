"""Hot reload of hostile or truncated policy files: refused, the last good policy serves."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_support import running_app
from symphony.clock import FixedClock
from symphony.policy.yaml_guard import MAX_NODES
from symphony.settings import Settings
from yaml_bombs import billion_laughs


async def test_an_alias_bomb_dropped_into_the_watched_file_is_refused_while_serving(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    path = policy_dir / "router.policy.yml"
    good = path.read_text()
    async with running_app(settings.replace(watch_policy=True), clock=clock) as (_, client):
        version = (await client.get("/policy")).json()["version"]
        bomb = billion_laughs()
        assert 1_000 <= len(bomb.encode()) <= 1_400
        path.write_text(bomb)
        served = 0
        status: dict[str, Any] = {}
        for attempt in range(400):  # plans keep being answered while the watcher reloads
            plan = await client.post("/route/plan", json={"task": "qa"})
            assert plan.status_code == 200
            assert plan.json()["policy_version"] == version
            served += 1
            status = (await client.get("/policy")).json()
            if status["last_error"]:
                break
            if attempt % 40 == 39:  # re-save in case the watcher was still arming
                path.write_text(bomb)
            await asyncio.sleep(0.05)
        assert status["last_error"], "the watcher never reported the bomb"
        assert any(f"limit: max_nodes {MAX_NODES}" in e for e in status["last_error"])
        assert status["version"] == version
        assert served >= 1
        # The good file applies again once restored (nothing got stuck).
        path.write_text(good.replace("reserve_fraction: 0.20", "reserve_fraction: 0.25"))
        for _ in range(200):
            status = (await client.get("/policy")).json()
            if status["version"] != version:
                break
            await asyncio.sleep(0.05)
        assert status["version"] != version
        assert status["last_error"] is None


CASES = {
    "empty": ("", "the file is empty"),
    "comments-only": ("# policy being edited\n", "the file is empty"),
    "policy-null": ("policy: null\n", ":1: policy: declares no models"),
    "duplicated-policy": (None, "duplicate key 'policy' (first at line"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_truncated_or_duplicated_files_are_refused_on_reload(
    harness: Any, policy_dir: Path, case: str
) -> None:
    client: httpx.AsyncClient = harness.client
    path = policy_dir / "router.policy.yml"
    text, expected = CASES[case]
    if text is None:
        text = path.read_text() + "policy:\n  models: []\n"
    old = (await client.get("/policy")).json()["version"]
    path.write_text(text)
    response = await client.post("/policy/reload")
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert body["version"] == old
    assert any(expected in e for e in body["errors"]), body["errors"]
    assert all("router.policy.yml" in e for e in body["errors"])
    plan = await client.post("/route/plan", json={"task": "qa"})
    assert plan.status_code == 200
    assert plan.json()["policy_version"] == old
    rejected = [e.data() for e in harness.state.bus.buffer if e.type == "policy.rejected"]
    assert rejected
    assert rejected[-1]["kept_version"] == old
