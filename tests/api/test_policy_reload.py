"""Policy at runtime: forced reloads, rejected changes keep the old policy, the file watcher."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx

from app_support import running_app
from symphony.clock import FixedClock
from symphony.settings import Settings


def policy_file(policy_dir: Path) -> Path:
    return policy_dir / "router.policy.yml"


def set_loa_max(policy_dir: Path, value: int) -> None:
    """A valid change: the default tenant's loa_max (a line only the tenant has)."""
    path = policy_file(policy_dir)
    text = path.read_text()
    new = re.sub(r"(?m)^    loa_max: \d+$", f"    loa_max: {value}", text, count=1)
    assert new != text
    path.write_text(new)


def break_policy(policy_dir: Path) -> int:
    """An invalid change: an unknown model class; returns the line it is on."""
    path = policy_file(policy_dir)
    lines = path.read_text().splitlines()
    index = lines.index("      class: local")
    lines[index] = "      class: orbital"
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def reload_count(metrics: str, result: str) -> float:
    match = re.search(rf'^symphony_policy_reload_total{{result="{result}"}} (\S+)$', metrics, re.M)
    assert match, f"no reload metric for {result}"
    return float(match.group(1))


async def test_get_policy_reports_version_files_and_no_error(harness: Any) -> None:
    body = (await harness.client.get("/policy")).json()
    assert body["version"] == harness.state.policy.snapshot.version
    assert body["declared_version"] == "2"
    assert body["loaded_at"] == "2026-11-22T17:00:00Z"
    assert [Path(f).name for f in body["files"]] == ["router.policy.yml", "model.windows.yml"]
    assert body["last_error"] is None
    assert "default" in body["tenants"]


async def test_unchanged_reload_is_ok_and_unchanged(harness: Any) -> None:
    before = harness.state.bus.next_id
    response = await harness.client.post("/policy/reload")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "changed": False,
        "version": harness.state.policy.snapshot.version,
        "errors": [],
    }
    assert not [e for e in harness.state.bus.buffer if e.id >= before and e.type == "policy.update"]


async def test_good_change_applies_with_event_and_metric(harness: Any, policy_dir: Path) -> None:
    client: httpx.AsyncClient = harness.client
    old = (await client.get("/policy")).json()["version"]
    ok_before = reload_count((await client.get("/metrics")).text, "ok")
    set_loa_max(policy_dir, 3)
    response = await client.post("/policy/reload")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["changed"] is True
    assert body["version"] != old
    assert (await client.get("/policy")).json()["version"] == body["version"]
    # The new policy is the one plans use.
    plan = (await client.post("/route/plan", json={"task": "qa"})).json()
    assert plan["policy"]["loa_max"] == 3
    assert plan["policy_version"] == body["version"]
    events = [e.data() for e in harness.state.bus.buffer if e.type == "policy.update"]
    assert events[-1]["version"] == body["version"]
    metrics = (await client.get("/metrics")).text
    assert reload_count(metrics, "ok") == ok_before + 1
    assert f'symphony_policy_info{{version="{body["version"]}"}} 1.0' in metrics


async def test_bad_change_is_rejected_and_the_old_policy_stays(
    harness: Any, policy_dir: Path
) -> None:
    client: httpx.AsyncClient = harness.client
    old = (await client.get("/policy")).json()["version"]
    line = break_policy(policy_dir)
    response = await client.post("/policy/reload")
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert body["version"] == old
    expected = f"router.policy.yml:{line}: policy.models[0].class: invalid value 'orbital'"
    assert any(expected in error for error in body["errors"]), body["errors"]

    status = (await client.get("/policy")).json()
    assert status["version"] == old
    assert status["last_error"] == body["errors"]
    assert status["last_error_at"] is not None
    # Plans keep working on the old policy.
    plan = await client.post("/route/plan", json={"task": "qa"})
    assert plan.status_code == 200
    assert plan.json()["policy_version"] == old

    rejected = [e.data() for e in harness.state.bus.buffer if e.type == "policy.rejected"]
    assert len(rejected) == 1
    assert rejected[0]["kept_version"] == old
    assert any(f"router.policy.yml:{line}:" in e for e in rejected[0]["errors"])
    assert reload_count((await client.get("/metrics")).text, "rejected") == 1.0

    # Fixing the file clears the error.
    path = policy_file(policy_dir)
    path.write_text(path.read_text().replace("class: orbital", "class: local"))
    fixed = await client.post("/policy/reload")
    assert fixed.status_code == 200
    assert (await client.get("/policy")).json()["last_error"] is None


async def until(
    client: httpx.AsyncClient, done: Any, path: Path, deadline_s: float = 10
) -> dict[str, Any]:
    """Poll GET /policy until `done(status)`; re-save the file each second in case the
    watcher was still arming when it was first written (no timing is asserted)."""
    deadline = time.monotonic() + deadline_s
    next_touch = time.monotonic() + 1
    while True:
        status: dict[str, Any] = (await client.get("/policy")).json()
        if done(status) or time.monotonic() > deadline:
            return status
        if time.monotonic() > next_touch:
            path.write_text(path.read_text())
            next_touch = time.monotonic() + 1
        await asyncio.sleep(0.05)


async def test_watcher_applies_an_edited_file(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    path = policy_file(policy_dir)
    async with running_app(settings.replace(watch_policy=True), clock=clock) as (app, client):
        old = (await client.get("/policy")).json()["version"]
        set_loa_max(policy_dir, 1)
        status = await until(client, lambda s: s["version"] != old, path)
        assert status["version"] != old, "the watcher did not pick up the edit"
        plan = (await client.post("/route/plan", json={"task": "chat"})).json()
        assert plan["policy"]["loa_max"] == 1
        bus = app.state.symphony.bus
        updates = [e.data() for e in bus.buffer if e.type == "policy.update"]
        assert updates[-1]["trigger"] == "watch"

        # A broken edit is rejected by the watcher too; the good version stays.
        good = status["version"]
        line = break_policy(policy_dir)
        status = await until(client, lambda s: s["last_error"] is not None, path)
        assert status["last_error"], "the watcher did not report the bad edit"
        assert any(f"router.policy.yml:{line}:" in e for e in status["last_error"])
        assert status["version"] == good
