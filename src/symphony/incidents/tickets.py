"""What tickets and notifications say: titles, bodies with the run's artifacts, chat
messages and PagerDuty events for an incident (plain text; each vendor renders it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from symphony.incidents.model import Incident, iso
from symphony.incidents.parity import ParitySpec
from symphony.integrations.base import ChatMessage, PageEvent, TicketDraft

MAX_ARTIFACT_CHARS = 4000


def slo_title(slo: str, level: str | None) -> str:
    return f"[SLO] {slo} is burning its error budget ({level or 'alert'})"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict | list):
        text = json.dumps(value, indent=2, default=str, sort_keys=True)
        if len(text) > MAX_ARTIFACT_CHARS:
            text = text[:MAX_ARTIFACT_CHARS] + "\n... (truncated)"
        return f"\n```\n{text}\n```"
    return str(value)


def _slo_section(status: Mapping[str, Any]) -> list[str]:
    lines = ["## SLO", ""]
    events = status.get("events") or {}
    threshold = status.get("threshold_ms")
    target = f"{status.get('objective', 0) * 100:g}% of executes" + (
        f" within {threshold} ms" if threshold else " without an error"
    )
    lines += [
        f"- **{status.get('name')}** ({status.get('kind')}): {target} over {status.get('period')}",
        f"- status: {status.get('status')} (since {status.get('alert_since') or 'n/a'})",
        f"- error budget left: {status.get('error_budget_remaining', 1.0) * 100:.1f}%",
        f"- executes counted in the period: {events.get('bad', 0)} bad of"
        f" {events.get('good', 0) + events.get('bad', 0)}",
    ]
    if status.get("p95_ms") is not None:
        lines.append(f"- p95: {status['p95_ms']} ms")
    lines += ["", "## Burn rates", ""]
    for row in status.get("windows", []):
        long_rate, short_rate = row.get("long_burn_rate"), row.get("short_burn_rate")
        lines.append(
            f"- {row['severity']} above {row['factor']}x: {row['long']} "
            f"{'n/a' if long_rate is None else f'{long_rate:.2f}x'}, {row['short']} "
            f"{'n/a' if short_rate is None else f'{short_rate:.2f}x'}"
            f"{' (firing)' if row.get('firing') else ''}"
        )
    return lines


def render_body(incident: Incident, runbook_url: str) -> str:
    """The ticket body: what happened, the SLO and its burn rates, then every artifact."""
    lines = [
        f"# {incident.title}",
        "",
        f"Symphony opened this incident at {iso(incident.opened_at)}"
        f" (source: {incident.source}, severity: {incident.severity}).",
    ]
    if incident.body:
        lines += ["", incident.body]
    artifacts = dict(incident.artifacts)
    status = artifacts.pop("slo_status", None)
    if isinstance(status, dict):
        lines += ["", *_slo_section(status)]
    if artifacts:
        lines += ["", "## Artifacts", ""]
        for key, value in artifacts.items():
            lines.append(f"- {key.replace('_', ' ')}: {_value(value)}")
    lines += ["", f"Incident `{incident.id}` · runbook: [{runbook_url}]({runbook_url})"]
    return "\n".join(lines)


def ticket_draft(
    incident: Incident, parity: ParitySpec, runbook_url: str, extra_labels: tuple[str, ...] = ()
) -> TicketDraft:
    labels = [*parity.github_labels, *incident.labels, *extra_labels]
    fields = {"severity": incident.severity}
    if parity.component:
        fields["component"] = parity.component
    return TicketDraft(
        title=incident.title,
        body=render_body(incident, runbook_url),
        marker=incident.id,
        labels=tuple(dict.fromkeys(labels)),
        fields=fields,
        kind="epic" if incident.source == "roadmap" else "incident",
    )


def links(incident: Incident) -> tuple[tuple[str, str], ...]:
    names = {"github": "GitHub issue", "jira": "Jira"}
    return tuple(
        (f"{names.get(vendor, vendor)} {ref['id']}", ref["url"])
        for vendor, ref in incident.tickets.items()
        if ref.get("url")
    )


def chat_message(incident: Incident, event: str, detail: str = "") -> ChatMessage:
    """A Slack message for opened | resolved | reopened | escalated."""
    status = "resolved" if event == "resolved" else "firing"
    fields = {"severity": incident.severity, "incident": incident.id}
    if incident.slo:
        fields["slo"] = incident.slo
    slo_status = incident.artifacts.get("slo_status")
    if isinstance(slo_status, dict) and slo_status.get("p95_ms") is not None:
        fields["p95"] = f"{slo_status['p95_ms']} ms"
    return ChatMessage(
        text=f"Incident {event}: {incident.title}" + (f"\n{detail}" if detail else ""),
        title=f"[{event.upper()}] {incident.title}",
        fields=fields,
        links=links(incident),
        status=status,  # type: ignore[arg-type]
    )


def page_event(incident: Incident, parity: ParitySpec) -> PageEvent:
    details = {"incident": incident.id, "key": incident.key, "source": incident.source}
    if incident.slo:
        details["slo"] = incident.slo
    return PageEvent(
        dedup_key=f"symphony:{incident.id}",
        summary=incident.title,
        severity=parity.pagerduty_severity(incident.severity),  # type: ignore[arg-type]
        source="symphony",
        component=parity.component,
        details=details,
        links=links(incident),
    )
