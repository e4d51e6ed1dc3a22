"""The parity file (config/incident.parity.yml): how incidents become GitHub and Jira
tickets and who is notified. Parsed like policy: every problem with file, line and path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path as FsPath
from typing import Any

import yaml

from symphony.errors import PolicyError
from symphony.integrations.jira.config import DEFAULT_MAPPINGS, JiraProject
from symphony.policy.fields import Fields
from symphony.policy.parse_models import duration_at
from symphony.policy.problems import Problems, line_map

PD_SEVERITY = ("critical", "error", "warning")  # by position of the severity value
_MAPPING = re.compile(r"([A-Za-z_][\w.]*)\s*<-\s*([A-Za-z_][\w.]*)")
SOURCES = ("title", "body", "labels")


class ParityError(PolicyError):
    code = "parity_invalid"


@dataclass(frozen=True, slots=True)
class ParitySpec:
    github_repo: str | None = None
    github_labels: tuple[str, ...] = ("incident", "slo", "symphony")
    fields: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"severity": ("p1", "p2", "p3"), "component": ("router",)}
    )
    jira: JiraProject | None = None
    link_backrefs: bool = True
    autoclose_on_recovery: bool = True
    reopen_within: timedelta | None = None
    notify_slack: bool = True
    notify_pagerduty: bool = True
    pagerduty_severities: tuple[str, ...] = ("p1", "p2")
    version: str = "default"

    @property
    def severities(self) -> tuple[str, ...]:
        return self.fields.get("severity") or ("p1", "p2", "p3")

    def severity_for(self, level: str) -> str:
        """An incident severity from an alert level: page, ticket, or a parity value."""
        values = self.severities
        if level in values:
            return level
        lowered = level.lower()
        if lowered in ("page", "critical"):
            return values[0]
        if lowered in ("ticket", "error", "warning"):
            return values[min(1, len(values) - 1)]
        return values[-1]

    def pagerduty_severity(self, severity: str) -> str:
        values = self.severities
        index = values.index(severity) if severity in values else len(values) - 1
        return PD_SEVERITY[min(index, len(PD_SEVERITY) - 1)]

    @property
    def component(self) -> str | None:
        values = self.fields.get("component")
        return values[0] if values else None


def _mappings(
    problems: Problems, raw: object, path: tuple[str | int, ...]
) -> tuple[tuple[str, str], ...]:
    """`target <- source` pairs from the seed's text form, a list of such lines, or a map."""
    if raw is None:
        return DEFAULT_MAPPINGS
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        pairs = [(str(k), str(v)) for k, v in raw.items()]
    elif isinstance(raw, str | list):
        lines = [raw] if isinstance(raw, str) else raw
        for i, line in enumerate(lines):
            where = path if isinstance(raw, str) else (*path, i)
            text = str(line)
            found = _MAPPING.findall(text)
            leftover = _MAPPING.sub("", text).strip()
            if not found or leftover:
                problems.add(where, f"expected 'target <- source' pairs, got {text!r}")
            pairs.extend(found)
    else:
        problems.add(path, "expected 'target <- source' lines or a mapping")
    return tuple(pairs) or DEFAULT_MAPPINGS


def _choices(problems: Problems, raw: object, path: tuple[str | int, ...]) -> tuple[str, ...]:
    if isinstance(raw, list):
        values = tuple(str(v) for v in raw)
    elif isinstance(raw, str):
        values = tuple(v.strip() for v in raw.split("|") if v.strip())
    else:
        problems.add(path, "expected 'a|b|c' or a list of values")
        return ()
    if not values:
        problems.add(path, "needs at least one value")
    return values


def _all_but_lowest(values: tuple[str, ...]) -> tuple[str, ...]:
    """By default every severity pages except the lowest (p1, p2 of p1|p2|p3)."""
    return values[: max(1, len(values) - 1)]


def parse_parity(text: str, name: str = "incident.parity.yml") -> ParitySpec:
    """Parse the parity file; raise ParityError listing every problem."""
    problems = Problems()
    problems.use(name, line_map(text))
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParityError([f"{name}: invalid YAML: {exc}"]) from exc
    top = Fields(problems, doc or {}, (), ("github", "jira", "sync", "notify"))
    gh = Fields(problems, top.raw("github"), ("github",), ("repo", "labels", "fields"))
    repo = gh.string("repo")
    if repo is not None and not re.match(r"^[\w.-]+/[\w.-]+$", repo):
        problems.add(gh.at("repo"), f"'{repo}' is not owner/name")
    fields_raw = gh.raw("fields")
    fields: dict[str, tuple[str, ...]] = {}
    if fields_raw is not None:
        if not isinstance(fields_raw, dict):
            problems.add(gh.at("fields"), "expected a mapping of field: a|b|c")
        else:
            for key, value in fields_raw.items():
                fields[str(key)] = _choices(problems, value, (*gh.at("fields"), str(key)))
    jira = _jira(problems, top.raw("jira"), set(fields))
    sync = Fields(
        problems,
        top.raw("sync"),
        ("sync",),
        ("link_backrefs", "autoclose_on_recovery", "reopen_within"),
    )
    reopen = (
        duration_at(problems, sync.at("reopen_within"), sync.raw("reopen_within"))
        if sync.has("reopen_within")
        else None
    )
    notify = Fields(
        problems, top.raw("notify"), ("notify",), ("slack", "pagerduty", "pagerduty_severities")
    )
    base = ParitySpec()
    spec = ParitySpec(
        github_repo=repo,
        github_labels=gh.strings("labels") if gh.has("labels") else base.github_labels,
        fields=fields or base.fields,
        jira=jira,
        link_backrefs=sync.boolean("link_backrefs", True),
        autoclose_on_recovery=sync.boolean("autoclose_on_recovery", True),
        reopen_within=reopen,
        notify_slack=notify.boolean("slack", True),
        notify_pagerduty=notify.boolean("pagerduty", True),
        pagerduty_severities=notify.strings("pagerduty_severities")
        if notify.has("pagerduty_severities")
        else _all_but_lowest(fields.get("severity") or base.severities),
        version=hashlib.sha256(text.encode()).hexdigest()[:16],
    )
    for i, severity in enumerate(spec.pagerduty_severities):
        if severity not in spec.severities:
            problems.add(
                (*notify.at("pagerduty_severities"), i),
                f"'{severity}' is not one of github.fields.severity ({'|'.join(spec.severities)})",
            )
    if problems:
        raise ParityError(problems.errors)
    return spec


def _jira(problems: Problems, raw: object, field_names: set[str]) -> JiraProject | None:
    if raw is None:
        return None
    keys = ("projectKey", "type", "epic_type", "mappings", "close_transition", "reopen_transition")
    f = Fields(problems, raw, ("jira",), keys)
    project = f.string("projectKey", required=True)
    if project is not None and not re.match(r"^[A-Z][A-Z0-9_]+$", project):
        problems.add(f.at("projectKey"), f"'{project}' is not a Jira project key (e.g. SYM)")
    mappings = _mappings(problems, f.raw("mappings"), f.at("mappings"))
    known = set(SOURCES) | field_names
    for target, source in mappings:
        if source not in known:
            problems.add(
                f.at("mappings"),
                f"'{target} <- {source}': unknown source '{source}' (one of:"
                f" {', '.join(sorted(known))})",
            )
    if project is None:
        return None
    return JiraProject(
        project_key=project,
        issue_type=f.string("type") or "Incident",
        epic_type=f.string("epic_type") or "Epic",
        mappings=mappings,
        close_transition=f.string("close_transition") or "Done",
        reopen_transition=f.string("reopen_transition") or "To Do",
    )


def load_parity(path: FsPath) -> ParitySpec:
    """Read the parity file; a missing file gives the defaults (Jira off: no project)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return ParitySpec()
    except OSError as exc:
        raise ParityError([f"{path}: cannot read parity file: {exc.strerror}"]) from exc
    return parse_parity(text, str(path))


def describe(spec: ParitySpec) -> dict[str, Any]:
    """A JSON view for status pages (no secrets live here)."""
    return {
        "github": {"repo": spec.github_repo, "labels": list(spec.github_labels)},
        "jira": None
        if spec.jira is None
        else {
            "project": spec.jira.project_key,
            "type": spec.jira.issue_type,
            "close_transition": spec.jira.close_transition,
        },
        "sync": {
            "link_backrefs": spec.link_backrefs,
            "autoclose_on_recovery": spec.autoclose_on_recovery,
            "reopen_within_s": None
            if spec.reopen_within is None
            else spec.reopen_within.total_seconds(),
        },
        "version": spec.version,
    }
