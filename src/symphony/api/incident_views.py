"""How incidents and integrations look on the wire, and the examples OpenAPI shows."""

from __future__ import annotations

from typing import Any

from symphony.flows.incident_runtime import IncidentRuntime
from symphony.incidents.model import Incident
from symphony.incidents.outbox import Outbox
from symphony.incidents.parity import describe

SUMMARY_KEYS = (
    "id", "key", "source", "title", "severity", "level", "status", "slo", "opened_at",
    "updated_at", "resolved_at", "episode", "labels", "firing",
)  # fmt: skip
DETAIL_KEYS = ("body", "artifacts", "actions", "timeline", "related")


def tickets(incident: Incident) -> list[dict[str, str]]:
    """Tickets as the VS Code extension reads them: system, key, url (and state)."""
    return [
        {
            "system": vendor,
            "key": str(ref.get("id", "")),
            "url": str(ref.get("url", "")),
            "state": "closed" if ref.get("state") == "closed" else "open",
        }
        for vendor, ref in incident.tickets.items()
    ]


def summary(incident: Incident) -> dict[str, Any]:
    data = incident.to_dict()
    out = {k: data[k] for k in SUMMARY_KEYS}
    out["state"] = incident.status
    out["tickets"] = tickets(incident)
    return out


def detail(incident: Incident, outbox: Outbox) -> dict[str, Any]:
    data = incident.to_dict()
    return {
        **summary(incident),
        **{k: data[k] for k in DETAIL_KEYS},
        "outbox": [e.to_dict() for e in outbox.entries(incident.id)],
    }


def integrations_report(runtime: IncidentRuntime) -> dict[str, Any]:
    counts = {"pending": 0, "done": 0, "failed": 0, "cancelled": 0}
    for entry in runtime.services.outbox.entries():
        counts[entry.status] += 1
    return {
        "integrations": runtime.integration_states(),
        "parity": describe(runtime.services.incidents.parity),
        "parity_error": runtime.loops.parity.last_error,
        "outbox": counts,
        "demo_fakes": runtime.fakes is not None,
    }


_TICKETS = [
    {"system": "github", "key": "42", "url": "https://github.com/acme/tower/issues/42",
     "state": "open"},
    {"system": "jira", "key": "SYM-7", "url": "https://acme.atlassian.net/browse/SYM-7",
     "state": "open"},
]  # fmt: skip
_SUMMARY: dict[str, Any] = {
    "id": "inc_4f1c2a9e0b7d6c51",
    "key": "slo:execute-latency",
    "source": "slo",
    "title": "[SLO] execute-latency burning its error budget (page)",
    "severity": "p1",
    "level": "page",
    "status": "open",
    "state": "open",
    "slo": "execute-latency",
    "opened_at": "2026-11-22T17:00:00Z",
    "updated_at": "2026-11-22T17:00:02Z",
    "resolved_at": None,
    "episode": 1,
    "labels": [],
    "firing": {"evaluator": "page"},
    "tickets": _TICKETS,
}
_DETAIL: dict[str, Any] = {
    **_SUMMARY,
    "body": "",
    "artifacts": {"policy_version": "f8ef309224ee3aea", "recent_audit_ids": ["aud_1"]},
    "actions": {"github.create": "act_1a2b3c4d5e6f7a8b"},
    "timeline": [
        {"at": "2026-11-22T17:00:00Z", "kind": "opened", "text": "opened by evaluator (page)"},
        {"at": "2026-11-22T17:00:01Z", "kind": "ticket.created", "text": "github 42 created",
         "data": {"url": "https://github.com/acme/tower/issues/42"}},
    ],
    "related": [],
    "outbox": [
        {"id": "act_1a2b3c4d5e6f7a8b", "incident_id": "inc_4f1c2a9e0b7d6c51",
         "action": "github.create", "status": "done", "attempts": 1, "next_at": None,
         "last_error": None, "result": {"id": "42", "url": _TICKETS[0]["url"]}, "needs": {}},
    ],
}  # fmt: skip
INCIDENT_EXAMPLE: dict[str, Any] = {
    "summary": _SUMMARY,
    "detail": _DETAIL,
    "resolved": {
        **_DETAIL,
        "status": "resolved",
        "state": "resolved",
        "resolved_at": "2026-11-22T17:20:00Z",
        "firing": {},
        "tickets": [{**t, "state": "closed"} for t in _TICKETS],
    },
    "integrations": {
        "integrations": [
            {"vendor": "github", "enabled": True, "why_off": None, "target": "acme/tower",
             "fake": False},
            {"vendor": "jira", "enabled": False, "why_off": "JIRA_BASE_URL is not set",
             "target": None, "fake": False},
        ],
        "parity": {"github": {"repo": "acme/tower", "labels": ["incident"]}, "jira": None,
                   "sync": {"link_backrefs": True, "autoclose_on_recovery": True,
                            "reopen_within_s": 3600.0}, "version": "default"},
        "parity_error": None,
        "outbox": {"pending": 0, "done": 4, "failed": 0, "cancelled": 0},
        "demo_fakes": False,
    },
}  # fmt: skip
SLO_EXAMPLE: dict[str, Any] = {
    "policy_version": "f8ef309224ee3aea",
    "evaluator": True,
    "slos": [
        {
            "name": "execute-latency", "kind": "latency", "objective": 0.95,
            "threshold_ms": 6000, "period": "30d", "at": "2026-11-22T17:00:00Z",
            "status": "page", "burn_rates": {"5m": 20.0, "1h": 15.2},
            "windows": [{"severity": "page", "long": "1h", "short": "5m", "factor": 14.4,
                         "long_burn_rate": 15.2, "short_burn_rate": 20.0, "firing": True}],
            "events": {"good": 940, "bad": 60}, "error_budget_remaining": 0.2,
            "p95_ms": 7400.0, "alert_since": "2026-11-22T16:58:00Z",
        }
    ],
}  # fmt: skip
