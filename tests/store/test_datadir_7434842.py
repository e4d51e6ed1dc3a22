"""A data directory written by main at 7434842 keeps working through the store seams.

tests/fixtures/datadir_7434842/ was made by its generate.py running that commit's code
(the real app with auth on, production governance and an audit HMAC secret). Each test
works on a copy and checks what a user of that directory would notice: the same keys
authenticate, the same kills deny, the proposals can still be approved, the audit chain
verifies and continues, the learned window state is back, and files keep their format.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from app_support import running_app
from symphony.audit import AuditLog, verify_chain
from symphony.cli import main
from symphony.clock import FixedClock
from symphony.errors import ConflictError, StoreError
from symphony.events.facts import Fact
from symphony.governance.governance import Governance
from symphony.governance.killswitch import KillSwitch
from symphony.policy.model import DynamicQuota, ModelSpec
from symphony.policy.store import PolicyStore
from symphony.security.keys import KeyStore
from symphony.settings import Settings
from symphony.windows.admission import ReservationBook
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.service import WindowService

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "datadir_7434842"
MANIFEST: dict[str, Any] = orjson.loads((FIXTURE / "manifest.json").read_bytes())
SECRET = MANIFEST["hmac_secret"]
WRITTEN = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # the generator's clock
LATER = WRITTEN + timedelta(minutes=30)
CLAUDE = "anthropic/claude-pro"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """A private copy of the old directory (opening a store may write to it)."""
    shutil.copytree(FIXTURE, tmp_path / "old")
    return tmp_path / "old"


def test_the_same_keys_authenticate_and_revoked_ones_do_not(old: Path) -> None:
    store = KeyStore.open(old / "data", FixedClock(LATER))
    try:
        ids, secrets = MANIFEST["key_ids"], MANIFEST["secrets"]
        assert {k.name: k.id for k in store.list()} == ids
        for name, secret in secrets.items():
            key = store.authenticate(secret)
            if name == "old-ci":
                assert key is None
            else:
                assert key is not None
                assert key.id == ids[name]
        acme = store.get(ids["client-acme"])
        assert acme is not None
        assert (acme.role, acme.tenants) == ("client", ("acme",))
        new, secret = store.create(name="after-upgrade", role="client")
        assert store.authenticate(secret) == new
        with pytest.raises(ConflictError, match="already exists"):
            store.create(name="admin", role="admin")  # names stay unique among active keys
        assert store.revoke("operator").revoked_at is not None
    finally:
        store.close()
    again = KeyStore.open(old / "data", FixedClock(LATER))
    try:
        assert again.authenticate(MANIFEST["secrets"]["operator"]) is None
        assert again.get(new.id) == new
    finally:
        again.close()


def test_the_same_kills_deny_and_the_file_keeps_its_format(old: Path) -> None:
    switch = KillSwitch.open(old / "data", FixedClock(LATER))
    assert [k.to_dict() for k in switch.active()] == MANIFEST["kills"]
    claude = ModelSpec(CLAUDE, "anthropic", "hosted", DynamicQuota())
    reason = switch.check(claude, "default")
    assert reason is not None
    assert "provider 'anthropic' killed by operator" in reason
    lifted = switch.unkill("model", "local/ollama")
    assert lifted is not None
    written_by_main = orjson.loads((FIXTURE / "data" / "killswitch.json").read_bytes())
    kept = [k for k in written_by_main["kills"] if k["scope"] == "provider"]
    expected = orjson.dumps({"kills": kept}, option=orjson.OPT_INDENT_2)  # main's format
    assert (old / "data" / "killswitch.json").read_bytes() == expected


async def test_proposals_survive_and_the_pending_one_can_still_be_approved(old: Path) -> None:
    clock = FixedClock(LATER)
    policy = PolicyStore(
        old / "config" / "router.policy.yml", old / "config" / "model.windows.yml", clock
    )
    policy.load_initial()
    audit = AuditLog.open(old / "data", clock, hmac_secret=SECRET)
    facts: list[Fact] = []
    governance = Governance.open(
        old / "data",
        policy,
        clock,
        mode="production",
        audit=audit,
        publish=facts.append,
        on_applied=lambda *_: None,
    )
    governance.startup()  # the files ask for cap 70; the approved baseline (60) is served
    assert policy.snapshot.models_by_name[CLAUDE].quota.cap == 60  # type: ignore[attr-defined]
    applied = governance.get(MANIFEST["proposals"]["applied"])
    pending = governance.get(MANIFEST["proposals"]["pending"])
    assert applied.status == "applied"
    assert [a["actor"] for a in applied.approvals] == ["approver-2", "admin"]
    assert pending.status == "pending"
    assert [a["actor"] for a in pending.approvals] == ["approver-2"]
    assert [p.id for p in governance.list("pending")] == [pending.id]

    keys = KeyStore.open(old / "data", clock)
    try:
        admin = keys.get(MANIFEST["key_ids"]["admin"])
        assert admin is not None
        done = await governance.approve(pending.id, admin)
    finally:
        keys.close()
        audit.close()
    assert done.status == "applied"
    assert [f.payload()["status"] for f in facts] == ["applied"]
    assert policy.snapshot.models_by_name[CLAUDE].quota.cap == 70  # type: ignore[attr-defined]
    saved = orjson.loads((old / "data" / "governance.json").read_bytes())
    assert {p["id"]: p["status"] for p in saved["proposals"]} == {
        applied.id: "applied",
        pending.id: "applied",
    }


def test_the_audit_chain_verifies_and_continues(
    old: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    head = MANIFEST["audit_head"]
    result = verify_chain(old / "data" / "audit.db", hmac_secret=SECRET)
    assert (result.ok, result.checked, result.head_seq, result.head_hash) == (
        True,
        len(MANIFEST["audit_types"]),
        head["seq"],
        head["hash"],
    )
    monkeypatch.setenv("SYMPHONY_AUDIT_HMAC_SECRET", SECRET)
    assert main(["audit", "verify", "--data-dir", str(old / "data")]) == 0
    assert f"head: seq {head['seq']} hash {head['hash']}" in capsys.readouterr().out

    log = AuditLog.open(old / "data", FixedClock(LATER), hmac_secret=SECRET)
    try:
        assert log.head() == (head["seq"], head["hash"])
        records = log.query_sync(limit=1000)
        assert [r.type for r in reversed(records)] == MANIFEST["audit_types"]
        (plan,) = log.query_sync(type="route.plan")
        assert (plan.actor, plan.tenant) == ("client-acme", "acme")
        new = log.append_sync("control.unkill", {"after": "upgrade"}, actor="ops")
        assert (new.seq, new.prev_hash) == (head["seq"] + 1, head["hash"])
        assert log.verify().ok
    finally:
        log.close()
    with pytest.raises(StoreError, match="HMAC secret"):
        AuditLog.open(old / "data", FixedClock(LATER), hmac_secret="another-secret")


def test_learned_window_state_and_usage_come_back(old: Path) -> None:
    store = SqliteUsageStore.open(old / "data")
    try:
        learned = store.load_learned()
        assert {m: v.to_json() for m, v in learned.items()} == MANIFEST["learned"]
        windows = WindowService(store, FixedClock(LATER), ReservationBook.local(FixedClock(LATER)))
        assert windows.load() == MANIFEST["usage_events"]
        assert windows.learned[CLAUDE].resets_at == datetime(2026, 11, 22, 20, tzinfo=UTC)
    finally:
        store.close()


async def test_the_app_serves_the_old_directory(old: Path) -> None:
    settings = Settings().replace(
        policy_file=old / "config" / "router.policy.yml",
        windows_file=old / "config" / "model.windows.yml",
        data_dir=old / "data",
        auth_enabled=True,
        watch_policy=False,
        governance_mode="production",
        audit_hmac_secret=SECRET,
        health_probe_interval_s=3600,
        health_probe_timeout_s=0.2,
    )
    clock = FixedClock(WRITTEN + timedelta(minutes=1))
    secrets = MANIFEST["secrets"]
    async with running_app(settings, clock=clock) as (_app, c):

        async def get(path: str, who: str) -> httpx.Response:
            return await c.get(path, headers={"Authorization": f"Bearer {secrets[who]}"})

        kills = (await get("/control", "operator")).json()["active"]
        assert kills == MANIFEST["kills"]
        assert (await get("/control", "old-ci")).status_code == 401
        window = (await get(f"/models/{CLAUDE}", "operator")).json()["window"]
        assert (window["source"], window["resets_at"]) == ("learned", "2026-11-22T20:00:00Z")
        pending = (await get("/policy/proposals?status=pending", "operator")).json()
        assert [p["id"] for p in pending["items"]] == [MANIFEST["proposals"]["pending"]]
        audit = (await get("/audit?limit=1000", "admin")).json()["items"]
        assert len(audit) >= len(MANIFEST["audit_types"])
