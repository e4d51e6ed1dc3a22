"""Two processes on one data directory: kills are never written over, and each side can
pick up the other's change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from symphony.clock import FixedClock
from symphony.governance.killswitch import KillSwitch
from symphony.policy.model import DynamicQuota, ModelSpec
from symphony.store.memory_docs import MemoryDocuments

CLOCK = FixedClock(datetime(2026, 11, 22, 17, 0, tzinfo=UTC))
OLLAMA = ModelSpec("local/ollama", "local", "local", DynamicQuota())


def test_a_kill_from_another_process_is_kept_and_picked_up(tmp_path: Path) -> None:
    server = KillSwitch.open(tmp_path, CLOCK)
    cli = KillSwitch.open(tmp_path, CLOCK)
    server.kill("provider", "anthropic", "incident", "ops")
    cli.kill("model", "local/ollama", "disk full", "cli")  # its view was stale: no overwrite
    assert {k.target for k in KillSwitch.open(tmp_path, CLOCK).active()} == {
        "anthropic",
        "local/ollama",
    }
    assert server.check(OLLAMA, "default") is None  # not seen yet
    assert server.refresh_if_changed() is True
    assert server.check(OLLAMA, "default") is not None
    assert server.refresh_if_changed() is False
    assert cli.unkill("provider", "anthropic") is not None
    assert server.refresh_if_changed() is True
    assert [k.target for k in server.active()] == ["local/ollama"]


def test_the_kill_switch_runs_on_any_documents_backend() -> None:
    docs = MemoryDocuments()
    switch = KillSwitch(docs, CLOCK)
    switch.kill("all", None, "drill", "ops")
    again = KillSwitch(docs, CLOCK)
    assert [k.label for k in again.active()] == ["everything"]
    assert again.check(OLLAMA, "default") is not None
