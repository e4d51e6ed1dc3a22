"""The parity file: the seed's shape parses; every problem names file, line and path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from symphony.incidents.parity import ParityError, ParitySpec, load_parity, parse_parity

ROOT = Path(__file__).resolve().parents[2]
SEED = """\
github:
  repo: yourorg/yourrepo
  labels: [incident, slo, symphony]
  fields:
    severity: p1|p2|p3
    component: router|ui|ingest
jira:
  projectKey: SYM
  type: Incident
  mappings: labels <- labels
    summary <- title
    description <- body
    severity <- severity
    component <- component
sync:
  link_backrefs: true
  autoclose_on_recovery: true
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ParityError) as err:
        parse_parity(text, "incident.parity.yml")
    assert err.value.code == "parity_invalid"
    return err.value.errors


def test_the_seed_shape_parses_verbatim() -> None:
    spec = parse_parity(SEED)
    assert spec.github_repo == "yourorg/yourrepo"
    assert spec.github_labels == ("incident", "slo", "symphony")
    assert spec.fields == {"severity": ("p1", "p2", "p3"), "component": ("router", "ui", "ingest")}
    assert spec.jira is not None
    assert spec.jira.project_key == "SYM"
    assert spec.jira.issue_type == "Incident"
    assert spec.jira.mappings == (
        ("labels", "labels"),
        ("summary", "title"),
        ("description", "body"),
        ("severity", "severity"),
        ("component", "component"),
    )
    assert spec.jira.close_transition == "Done"
    assert (spec.link_backrefs, spec.autoclose_on_recovery, spec.reopen_within) == (
        True,
        True,
        None,
    )


def test_the_shipped_file() -> None:
    spec = load_parity(ROOT / "config" / "incident.parity.yml")
    assert spec.reopen_within == timedelta(hours=1)
    assert spec.jira is not None
    assert (spec.jira.close_transition, spec.jira.reopen_transition) == ("Done", "To Do")
    assert spec.pagerduty_severities == ("p1", "p2")


def test_a_missing_file_gives_defaults_with_jira_off(tmp_path: Path) -> None:
    spec = load_parity(tmp_path / "nope.yml")
    assert spec == ParitySpec()
    assert spec.jira is None


def test_severity_mapping() -> None:
    spec = parse_parity(SEED)
    assert [spec.severity_for(x) for x in ("page", "critical", "ticket", "warning", "p3", "x")] == [
        "p1",
        "p1",
        "p2",
        "p2",
        "p3",
        "p3",
    ]
    assert [spec.pagerduty_severity(s) for s in ("p1", "p2", "p3")] == [
        "critical",
        "error",
        "warning",
    ]
    assert spec.component == "router"


def test_mappings_as_a_list_or_a_map() -> None:
    listed = parse_parity(
        "jira:\n  projectKey: OPS\n  mappings: ['summary <- title', 'priority <- severity']\n"
        "github:\n  fields: {severity: [high, low]}\n"
    )
    assert listed.jira is not None
    assert listed.jira.mappings == (("summary", "title"), ("priority", "severity"))
    mapped = parse_parity("jira:\n  projectKey: OPS\n  mappings: {customfield_10042: title}\n")
    assert mapped.jira is not None
    assert mapped.jira.mappings == (("customfield_10042", "title"),)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "repo: yourorg/yourrepo",
            "repo: nope",
            "incident.parity.yml:2: github.repo: 'nope' is not owner/name",
        ),
        (
            "projectKey: SYM",
            "projectKey: sym",
            "incident.parity.yml:8: jira.projectKey: 'sym' is not a Jira project key (e.g. SYM)",
        ),
        (
            "    component <- component",
            "    component <- owner",
            "incident.parity.yml:10: jira.mappings: 'component <- owner': unknown source 'owner'"
            " (one of: body, component, labels, severity, title)",
        ),
        (
            "  mappings: labels <- labels",
            "  mappings: labels from labels",
            "incident.parity.yml:10: jira.mappings: expected 'target <- source' pairs, got"
            " 'labels from labels summary <- title description <- body severity <- severity"
            " component <- component'",
        ),
        (
            "  link_backrefs: true",
            "  link_backrefs: yes please",
            "incident.parity.yml:16: sync.link_backrefs: expected true or false, got 'yes please'",
        ),
        (
            "  autoclose_on_recovery: true",
            "  autoclose_on_recovery: true\n  reopen_within: later",
            "incident.parity.yml:18: sync.reopen_within: invalid duration 'later'"
            " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)",
        ),
        (
            "sync:",
            "notify:\n  pagerduty_severities: [sev1]\nsync:",
            "incident.parity.yml:16: notify.pagerduty_severities[0]: 'sev1' is not one of"
            " github.fields.severity (p1|p2|p3)",
        ),
        (
            "  type: Incident",
            "  type: Incident\n  priority: high",
            "incident.parity.yml:10: jira.priority: unknown key 'priority' (expected one of:"
            " close_transition, epic_type, mappings, projectKey, reopen_transition, type)",
        ),
    ],
)
def test_errors_name_file_line_and_path(old: str, new: str, expected: str) -> None:
    assert old in SEED
    assert errors_of(SEED.replace(old, new, 1)) == [expected]


def test_invalid_yaml() -> None:
    [error] = errors_of("github: [unclosed\n")
    assert error.startswith("incident.parity.yml: invalid YAML")
