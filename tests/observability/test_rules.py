"""The rule files pass promtool, every alert is unit-tested both ways, and says what to do."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from obs_stack import ALERTING, RULES, RUNBOOK, all_rules, load_yaml, need, rule_files, run

SEVERITIES = {"page", "ticket", "info"}


def alert_rules() -> list[dict[str, object]]:
    return [rule for rule in all_rules() if "alert" in rule]


def test_promtool_checks_the_prometheus_config_and_its_rule_files(tmp_path: Path) -> None:
    promtool = need("promtool")
    # promtool checks that the scrape token file exists: an operator's copy has it.
    alerting = tmp_path / "alerting"
    shutil.copytree(ALERTING, alerting)
    (alerting / "secrets" / "symphony_metrics_token").write_text("token")
    result = run(promtool, "check", "config", str(alerting / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    [job] = load_yaml(ALERTING / "prometheus.yml")["scrape_configs"]
    assert job["authorization"] == {
        "type": "Bearer",
        "credentials_file": "secrets/symphony_metrics_token",
    }
    # The config's glob picked up every committed rule file.
    for path in rule_files():
        assert f"Checking {path}" in result.stdout or path.name in result.stdout


def test_promtool_checks_every_rule_file() -> None:
    promtool = need("promtool")
    files = rule_files()
    assert RULES / "symphony-ops.rules.yml" in files
    result = run(promtool, "check", "rules", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_rules_rejects_a_broken_expression(tmp_path: Path) -> None:
    promtool = need("promtool")
    bad = tmp_path / "bad.rules.yml"
    bad.write_text(
        "groups:\n- name: x\n  rules:\n  - alert: Broken\n    expr: sum(rate(x[5m]) by (\n"
    )
    result = run(promtool, "check", "rules", str(bad))
    assert result.returncode != 0


def test_promtool_unit_tests_pass() -> None:
    promtool = need("promtool")
    tests = sorted(RULES.glob("*.test.yml"))
    assert tests
    result = run(promtool, "test", "rules", *(p.name for p in tests), cwd=RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in RULES.glob("*.test.yml"):
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {str(rule["alert"]) for rule in alert_rules()}
    assert names, "no alerting rules found"
    assert names - fires == set(), "alerts without a test where they fire"
    assert names - quiet == set(), "alerts without a test where they must stay quiet"


def test_firing_cases_check_labels_and_every_annotation() -> None:
    annotations = {str(r["alert"]): set(dict(r["annotations"])) for r in alert_rules()}
    for path in RULES.glob("*.test.yml"):
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                for alert in check.get("exp_alerts") or []:
                    name = check["alertname"]
                    if name not in annotations:
                        continue  # a test of another file's alert
                    assert alert["exp_labels"]["severity"] in SEVERITIES
                    assert set(alert["exp_annotations"]) == annotations[name], name


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: str(r["alert"]))
def test_every_alert_has_severity_summary_and_a_runbook_section(rule: dict[str, object]) -> None:
    labels = rule["labels"]
    annotations = rule["annotations"]
    assert isinstance(labels, dict)
    assert isinstance(annotations, dict)
    assert labels.get("severity") in SEVERITIES
    assert annotations.get("summary")
    url = annotations.get("runbook_url", "")
    page, _, anchor = url.partition("#")
    assert page.endswith("docs/runbook.md"), url
    assert anchor in runbook_anchors(), f"{url}: no such heading in docs/runbook.md"


def runbook_anchors() -> set[str]:
    """GitHub-style anchors of the runbook's headings."""
    anchors = set()
    for line in RUNBOOK.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
            anchors.add(slug)
    return anchors
