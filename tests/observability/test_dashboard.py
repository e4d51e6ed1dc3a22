"""The Symphony Ops dashboard: generated, provisionable without clicks, and typed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from obs_stack import DASHBOARD, GRAFANA, load_yaml, need, run

OPERATOR_KIT = {  # operator-kit.md's six panels (titles adapted to the real metric names)
    "Budget fraction (top models)": "symphony_budget_fraction_used",
    "Execute p95 latency vs SLO": "symphony_route_execute_latency_seconds_bucket",
    "Power windows open": "symphony_power_window_open",
    "Errors by route": "symphony_errors_total",
    "Tokens/s by model": "symphony_tokens_total",
    "RAG staleness": "symphony_rag_index_staleness_seconds",
}
OPERATOR_NEEDS = {  # issue 14: what an operator of this product needs on top
    "Window remaining per model": "symphony_window_remaining_fraction",
    "Time to window reset": "symphony_window_reset_timestamp_seconds",
    "Burn rate per SLO": "symphony_slo:sli_error:ratio_rate",
    "Open incidents": "symphony_incidents_open",
    "Fallbacks & retries": "symphony_upstream_retries_total",
    "Cost per tenant": "symphony_cost_usd_total",
    "Kill switch": "symphony_killswitch_active_kills",
    "Policy version": "symphony_policy_info",
    "Policy reloads": "symphony_policy_last_reload_successful",
}


def board() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return result


def test_the_committed_json_is_what_the_generator_produces() -> None:
    result = run(sys.executable, str(GRAFANA / "build_dashboard.py"), "--check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("title", [*OPERATOR_KIT, *OPERATOR_NEEDS])
def test_each_required_panel_is_there_with_a_description_and_a_unit(title: str) -> None:
    panels = {p["title"]: p for p in board()["panels"]}
    assert title in panels
    panel = panels[title]
    assert len(panel["description"]) > 40
    assert panel["fieldConfig"]["defaults"]["unit"]
    needle = {**OPERATOR_KIT, **OPERATOR_NEEDS}[title]
    assert any(needle in t["expr"] for t in panel["targets"]), panel["targets"]


def test_units_follow_the_metrics_base_units() -> None:
    units = {p["title"]: p["fieldConfig"]["defaults"]["unit"] for p in board()["panels"]}
    assert units["Execute p95 latency vs SLO"] == "s"
    assert units["RAG staleness"] == "s"
    assert units["Cost per tenant"] == "currencyUSD"
    assert units["Budget fraction (top models)"] == "percentunit"
    assert units["Window remaining per model"] == "percentunit"


def test_datasource_is_a_variable_defaulting_to_the_provisioned_uid() -> None:
    dashboard = board()
    assert "__inputs" not in dashboard  # file provisioning cannot fill __inputs
    [variable] = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus"
    provisioned = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    [source] = provisioned["datasources"]
    assert source["type"] == "prometheus"
    assert variable["current"]["value"] == source["uid"] == "symphony-prometheus"
    ref = {"type": "prometheus", "uid": "${" + variable["name"] + "}"}
    for panel in dashboard["panels"]:
        assert panel["datasource"] == ref, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == ref, panel["title"]


def test_panels_fit_the_grid_without_overlapping() -> None:
    cells: set[tuple[int, int]] = set()
    for panel in board()["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_provisioning_files_parse_and_point_at_the_dashboard_folder() -> None:
    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "symphony.yml")
    assert provider["apiVersion"] == 1
    [entry] = provider["providers"]
    assert entry["type"] == "file"
    assert entry["options"]["path"] == "/var/lib/grafana/dashboards/symphony"
    datasources = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    assert datasources["apiVersion"] == 1
    assert datasources["datasources"][0]["url"] == "http://127.0.0.1:9090"
    assert board()["uid"] == "symphony-ops"


def schema_project(tmp_path: Path) -> Path:
    """A copy of grafana/schema-check with its locked dependencies installed (npm ci)."""
    npm = need("npm")
    project = tmp_path / "schema-check"
    shutil.copytree(
        GRAFANA / "schema-check",
        project,
        ignore=shutil.ignore_patterns("node_modules", "generated"),
    )
    (tmp_path / "dashboards").mkdir()
    shutil.copy(DASHBOARD, tmp_path / "dashboards" / DASHBOARD.name)
    result = run(npm, "ci", "--no-audit", "--no-fund", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.mark.slow
def test_dashboard_satisfies_grafana_schema_and_a_broken_one_does_not(tmp_path: Path) -> None:
    npm = need("npm")
    project = schema_project(tmp_path)
    result = run(npm, "run", "check", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "symphony-ops.json" in result.stdout

    broken = json.loads(DASHBOARD.read_text())
    broken["graphTooltip"] = "shared"
    broken["panels"][0]["gridPos"]["h"] = "eight"
    broken["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["mode"] = "absolut"
    (tmp_path / "dashboards" / DASHBOARD.name).write_text(json.dumps(broken))
    result = run(npm, "run", "check", cwd=project)
    assert result.returncode != 0
    assert "DashboardCursorSync" in result.stdout
    assert '"absolut"' in result.stdout
