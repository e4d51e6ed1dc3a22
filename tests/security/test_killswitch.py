"""The kill switch store: scope precedence, persistence, refusing corrupt state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from symphony.clock import FixedClock
from symphony.errors import StoreError, ValidationFailed
from symphony.governance.killswitch import KillSwitch
from symphony.policy.model import DynamicQuota, ModelSpec

CLOCK = FixedClock(datetime(2026, 11, 22, 17, 0, tzinfo=UTC))
CLAUDE = ModelSpec("anthropic/claude-pro", "anthropic", "hosted", DynamicQuota())
OLLAMA = ModelSpec("local/ollama", "local", "local", DynamicQuota())


def test_nothing_killed_is_none(tmp_path: Path) -> None:
    ks = KillSwitch.open(tmp_path, CLOCK)
    assert ks.check(CLAUDE, "default") is None
    assert not (tmp_path / "killswitch.json").exists()


@pytest.mark.parametrize(
    ("scope", "target", "hit", "miss"),
    [
        ("model", "anthropic/claude-pro", (CLAUDE, "default"), (OLLAMA, "default")),
        ("provider", "anthropic", (CLAUDE, "acme"), (OLLAMA, "acme")),
        ("tenant", "acme", (OLLAMA, "acme"), (OLLAMA, "default")),
        ("all", None, (OLLAMA, "default"), None),
    ],
)
def test_each_scope_denies_only_its_targets(
    tmp_path: Path,
    scope: str,
    target: str | None,
    hit: tuple[ModelSpec, str],
    miss: tuple[ModelSpec, str] | None,
) -> None:
    ks = KillSwitch.open(tmp_path, CLOCK)
    ks.kill(scope, target, "because", "ops")
    reason = ks.check(*hit)
    assert reason is not None
    assert "killed by ops at 2026-11-22T17:00:00+00:00: because" in reason
    if miss is not None:
        assert ks.check(*miss) is None


def test_kills_persist_and_unkill_removes(tmp_path: Path) -> None:
    KillSwitch.open(tmp_path, CLOCK).kill("provider", "anthropic", "incident", "ops")
    reopened = KillSwitch.open(tmp_path, CLOCK)
    assert [k.to_dict()["target"] for k in reopened.active()] == ["anthropic"]
    lifted = reopened.unkill("provider", "anthropic")
    assert lifted is not None
    assert lifted.reason == "incident"
    assert reopened.unkill("provider", "anthropic") is None
    assert KillSwitch.open(tmp_path, CLOCK).active() == []


def test_corrupt_state_refuses_to_start_open(tmp_path: Path) -> None:
    (tmp_path / "killswitch.json").write_text('{"kills": [{"scope": "model"}]}')
    with pytest.raises(StoreError, match="corrupt"):
        KillSwitch.open(tmp_path, CLOCK)


def test_scope_validation(tmp_path: Path) -> None:
    ks = KillSwitch.open(tmp_path, CLOCK)
    with pytest.raises(ValidationFailed, match="needs a target"):
        ks.kill("model", None, "x", None)
    with pytest.raises(ValidationFailed, match="unknown kill scope"):
        ks.kill("region", "eu", "x", None)
