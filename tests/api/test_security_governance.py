"""Two-person approval through the real app (SYMPHONY_GOVERNANCE_MODE=production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from security_app import Secured, create_keys, edit_yaml, model_entry, secured

from symphony.clock import FixedClock
from symphony.settings import Settings

CLAUDE = "anthropic/claude-pro"
CAP_LINE = f"policy.models[{CLAUDE}].quota.cap: 45 → 60"


def set_cap(policy_dir: Path, cap: int) -> None:
    def change(doc: dict[str, Any]) -> None:
        model_entry(doc, CLAUDE)["quota"]["cap"] = cap

    edit_yaml(policy_dir / "router.policy.yml", change)


async def cap(app: Secured) -> int:
    r = await app.call("GET", f"/models/{CLAUDE}", "client")
    return int(r.json()["window"]["cap"])


@pytest.fixture
async def prod(settings: Settings, clock: FixedClock) -> Any:
    async with secured(settings, clock, governance_mode="production") as s:
        yield s


async def test_quota_change_is_held_until_two_distinct_approvers(
    prod: Secured, policy_dir: Path
) -> None:
    set_cap(policy_dir, 60)
    r = await prod.call("POST", "/policy/reload", "approver-1")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "changed": False, "version": r.json()["version"],
                        "errors": ["held for approval"]}  # fmt: skip
    assert await cap(prod) == 45  # the Model Matrix keeps the old values meanwhile

    listing = (await prod.call("GET", "/policy/proposals", "operator")).json()
    assert listing["mode"] == "production"
    (proposal,) = listing["items"]
    assert proposal["status"] == "pending"
    assert proposal["proposer"] == "approver-1"
    assert proposal["diff"] == [CAP_LINE]
    assert proposal["governed"] == [CAP_LINE]
    pid = proposal["id"]

    own = await prod.call("POST", f"/policy/proposals/{pid}/approve", "approver-1")
    assert own.status_code == 403
    assert "proposer cannot approve" in own.json()["error"]["message"]
    assert (
        await prod.call("POST", f"/policy/proposals/{pid}/approve", "operator")
    ).status_code == 403

    first = await prod.call("POST", f"/policy/proposals/{pid}/approve", "approver-2")
    assert first.status_code == 200
    assert first.json()["applied"] is False
    assert await cap(prod) == 45
    twice = await prod.call("POST", f"/policy/proposals/{pid}/approve", "approver-2")
    assert twice.status_code == 409

    second = await prod.call("POST", f"/policy/proposals/{pid}/approve", "admin")
    assert second.json()["applied"] is True
    assert second.json()["proposal"]["status"] == "applied"
    assert [a["actor"] for a in second.json()["proposal"]["approvals"]] == ["approver-2", "admin"]
    assert await cap(prod) == 60
    updates = prod.events("policy.update")
    assert updates[-1]["trigger"] == f"approval:{pid}"
    assert updates[-1]["version"] == proposal["candidate_version"]

    audit = prod.state.audit
    (propose,) = await audit.query(type="policy.propose")
    assert propose.actor == "approver-1"
    approvals = await audit.query(type="policy.approve")
    assert sorted(a.actor for a in approvals) == ["admin", "approver-2"]
    (change,) = await audit.query(type="policy.change")
    assert CAP_LINE in change.payload["diff"]
    assert change.actor == "admin"
    after = await prod.call("POST", f"/policy/proposals/{pid}/approve", "approver-1")
    assert after.status_code == 409


async def test_other_changes_apply_directly_in_production(prod: Secured, policy_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        model_entry(doc, CLAUDE)["loa_max"] = 2

    edit_yaml(policy_dir / "router.policy.yml", change)
    r = await prod.call("POST", "/policy/reload", "operator")
    assert r.json()["changed"] is True
    assert (await prod.call("GET", "/policy/proposals", "operator")).json()["items"] == []


@pytest.mark.parametrize(
    ("what", "edit"),
    [
        ("budget", lambda d: d["tenants"]["default"]["budgets"].update(daily_usd=9.0)),
        (
            "power window",
            lambda d: d["tenants"]["default"]["power_windows"][0].update(duration="2h"),
        ),
        ("reserve fraction", lambda d: d["policy"]["defaults"].update(reserve_fraction=0.1)),
        (
            "route cost cap",
            lambda d: d["policy"]["routing_rules"][0]["route"].update(max_cost_usd=2.0),
        ),
        ("window", lambda d: model_entry(d, CLAUDE)["quota"].update(window="6h")),
    ],
)
async def test_each_governed_kind_is_held(
    prod: Secured, policy_dir: Path, what: str, edit: Any
) -> None:
    edit_yaml(policy_dir / "router.policy.yml", edit)
    r = await prod.call("POST", "/policy/reload", "operator")
    assert r.json()["errors"] == ["held for approval"], what
    (proposal,) = (await prod.call("GET", "/policy/proposals", "operator")).json()["items"]
    assert proposal["governed"], what


async def test_schedule_change_in_the_windows_file_is_held(prod: Secured, policy_dir: Path) -> None:
    path = policy_dir / "model.windows.yml"
    path.write_text(path.read_text().replace("at: '05:00'", "at: '05:30'"))
    r = await prod.call("POST", "/policy/reload", "operator")
    assert r.json()["errors"] == ["held for approval"]
    (proposal,) = (await prod.call("GET", "/policy/proposals", "operator")).json()["items"]
    assert f"policy.schedules[{CLAUDE}].slots[0].at: 05:00 → 05:30" in proposal["governed"]


async def test_file_watcher_changes_are_proposed_by_watcher(
    prod: Secured, policy_dir: Path
) -> None:
    set_cap(policy_dir, 60)
    prod.state.policy_flow.reload("watch")
    (proposal,) = (await prod.call("GET", "/policy/proposals", "operator")).json()["items"]
    assert proposal["proposer"] == "watcher"
    for name in ("approver-1", "approver-2"):
        await prod.call("POST", f"/policy/proposals/{proposal['id']}/approve", name)
    assert await cap(prod) == 60


async def test_a_newer_change_supersedes_the_pending_proposal(
    prod: Secured, policy_dir: Path
) -> None:
    set_cap(policy_dir, 60)
    await prod.call("POST", "/policy/reload", "operator")
    set_cap(policy_dir, 70)
    await prod.call("POST", "/policy/reload", "operator")
    items = (await prod.call("GET", "/policy/proposals", "operator")).json()["items"]
    assert [p["status"] for p in items] == ["pending", "superseded"]
    assert items[0]["diff"] == [f"policy.models[{CLAUDE}].quota.cap: 45 → 70"]
    stale = await prod.call("POST", f"/policy/proposals/{items[1]['id']}/approve", "approver-1")
    assert stale.status_code == 409


async def test_restart_does_not_bypass_approval(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    keys = create_keys(settings.data_dir, clock)
    async with secured(settings, clock, secrets=keys, governance_mode="production") as app:
        set_cap(policy_dir, 60)
        await app.call("POST", "/policy/reload", "operator")
        (before,) = (await app.call("GET", "/policy/proposals", "operator")).json()["items"]
    # The files now say 60; a restart must still serve 45 and keep the same proposal.
    async with secured(settings, clock, secrets=keys, governance_mode="production") as app:
        assert await cap(app) == 45
        items = (await app.call("GET", "/policy/proposals?status=pending", "operator")).json()[
            "items"
        ]
        assert [p["id"] for p in items] == [before["id"]]
        for name in ("approver-1", "approver-2"):
            r = await app.call("POST", f"/policy/proposals/{before['id']}/approve", name)
            assert r.status_code == 200, r.text
        assert await cap(app) == 60
    async with secured(settings, clock, secrets=keys, governance_mode="production") as app:
        assert await cap(app) == 60  # approved: the files are the baseline now


async def test_development_mode_applies_quota_changes_directly(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    async with secured(settings, clock) as app:
        set_cap(policy_dir, 60)
        r = await app.call("POST", "/policy/reload", "operator")
        assert r.json()["changed"] is True
        assert await cap(app) == 60
        listing = (await app.call("GET", "/policy/proposals", "operator")).json()
        assert listing == {"mode": "development", "items": []}


async def test_unknown_proposal_is_404(prod: Secured) -> None:
    r = await prod.call("POST", "/policy/proposals/prop_nope/approve", "approver-1")
    assert r.status_code == 404
    assert "prop_nope" in r.json()["error"]["message"]
