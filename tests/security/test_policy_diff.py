"""Readable snapshot diffs and which lines need two-person approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from symphony.governance.policy_diff import diff_snapshots, is_governed
from symphony.policy.loader import load_policy_files
from symphony.policy.model import PolicySnapshot

ROOT = Path(__file__).resolve().parents[2] / "config"


def snapshot(tmp_path: Path, edit: Any = None) -> PolicySnapshot:
    doc = yaml.safe_load((ROOT / "router.policy.yml").read_text())
    if edit is not None:
        edit(doc)
    path = tmp_path / f"p{len(list(tmp_path.iterdir()))}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_policy_files(path, ROOT / "model.windows.yml")


def claude(doc: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in doc["policy"]["models"] if m["name"] == "anthropic/claude-pro")


def test_identical_snapshots_have_no_diff(tmp_path: Path) -> None:
    assert diff_snapshots(snapshot(tmp_path), snapshot(tmp_path)) == []


def test_quota_cap_line_reads_like_the_spec(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    after = snapshot(tmp_path, lambda d: claude(d)["quota"].update(cap=60))
    (line,) = diff_snapshots(before, after)
    assert str(line) == "policy.models[anthropic/claude-pro].quota.cap: 45 → 60"
    assert line.governed


def test_added_model_shows_absent_values(tmp_path: Path) -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["policy"]["models"].append(
            {"name": "local/extra", "class": "local", "quota": {"type": "dynamic"}}
        )

    lines = diff_snapshots(snapshot(tmp_path), snapshot(tmp_path, add))
    assert "policy.models[local/extra].quota.type: ∅ → dynamic" in [str(x) for x in lines]
    assert any(x.governed for x in lines)  # a new quota is a quota change


@pytest.mark.parametrize(
    "path",
    [
        "policy.models[x].quota.cap",
        "policy.models[x].quota.window",
        "policy.models[x].reserve_fraction",
        "policy.defaults.reserve_fraction",
        "policy.tenants[default].budgets.daily_usd",
        "policy.tenants[default].power_windows[0].duration",
        "policy.tenants[default].power_windows[0].rpm_cap",
        "policy.schedules[x].slots[0].at",
        "policy.routing_rules[r].route.max_cost_usd",
    ],
)
def test_governed_paths(path: str) -> None:
    assert is_governed(path)


@pytest.mark.parametrize(
    "path",
    [
        "policy.models[x].loa_max",
        "policy.models[x].allow_tasks",
        "policy.models[x].context_window",
        "policy.models[x].endpoint.base_url",
        "policy.tenants[default].allow_models",
        "policy.routing_rules[r].route.prefer",
        "policy.declared_version",
    ],
)
def test_ungoverned_paths(path: str) -> None:
    assert not is_governed(path)


def test_keys_in_brackets_never_make_a_line_governed() -> None:
    assert not is_governed("policy.models[acme/model.cap_v2].loa_max")
    assert not is_governed("policy.tenants[quota.team].allow_models")
