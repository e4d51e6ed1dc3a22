"""Incident and outbox records: plain dataclasses that round-trip through JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

IncidentStatus = Literal["open", "resolved"]
Source = Literal["slo", "alertmanager", "manual", "roadmap"]
EntryStatus = Literal["pending", "done", "failed", "cancelled"]
TIMELINE_LIMIT = 200


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(slots=True)
class Incident:
    id: str
    key: str  # dedupe key: slo:<name>, am:<fingerprint>, manual:<id>, roadmap:<period>
    source: Source
    title: str
    body: str
    severity: str  # a parity severity value (p1|p2|p3)
    status: IncidentStatus
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    level: str | None = None  # page | ticket, from the alert
    slo: str | None = None
    labels: list[str] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)
    firing: dict[str, str] = field(default_factory=dict)  # alert source -> level
    tickets: dict[str, dict[str, str]] = field(default_factory=dict)  # vendor -> ref + state
    actions: dict[str, str] = field(default_factory=dict)  # "github.create" -> entry id
    timeline: list[dict[str, Any]] = field(default_factory=list)
    related: list[str] = field(default_factory=list)  # incident ids a roadmap item summarises
    episode: int = 1  # 1 + times reopened

    def note(self, at: datetime, kind: str, text: str, **data: Any) -> None:
        """Append to the timeline (bounded: the oldest entries beyond the limit drop)."""
        entry: dict[str, Any] = {"at": iso(at), "kind": kind, "text": text}
        if data:
            entry["data"] = data
        self.timeline.append(entry)
        if len(self.timeline) > TIMELINE_LIMIT:
            del self.timeline[: len(self.timeline) - TIMELINE_LIMIT]
        self.updated_at = at

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "source": self.source,
            "title": self.title,
            "body": self.body,
            "severity": self.severity,
            "level": self.level,
            "status": self.status,
            "slo": self.slo,
            "opened_at": iso(self.opened_at),
            "updated_at": iso(self.updated_at),
            "resolved_at": None if self.resolved_at is None else iso(self.resolved_at),
            "episode": self.episode,
            "labels": list(self.labels),
            "artifacts": self.artifacts,
            "firing": dict(self.firing),
            "tickets": {k: dict(v) for k, v in self.tickets.items()},
            "actions": dict(self.actions),
            "timeline": list(self.timeline),
            "related": list(self.related),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Incident:
        return cls(
            id=d["id"],
            key=d["key"],
            source=d["source"],
            title=d["title"],
            body=d["body"],
            severity=d["severity"],
            status=d["status"],
            opened_at=parse_iso(d["opened_at"]),
            updated_at=parse_iso(d["updated_at"]),
            resolved_at=None if d.get("resolved_at") is None else parse_iso(d["resolved_at"]),
            level=d.get("level"),
            slo=d.get("slo"),
            labels=list(d.get("labels", [])),
            artifacts=dict(d.get("artifacts", {})),
            firing=dict(d.get("firing", {})),
            tickets={k: dict(v) for k, v in d.get("tickets", {}).items()},
            actions=dict(d.get("actions", {})),
            timeline=list(d.get("timeline", [])),
            related=list(d.get("related", [])),
            episode=int(d.get("episode", 1)),
        )


@dataclass(slots=True)
class OutboxEntry:
    """One outbound action. `idem_key` is unique: enqueueing the same action twice is a
    no-op. `needs` names entries (by role) whose results this one uses; it runs only after
    they are done and is cancelled if one of them failed."""

    id: str
    incident_id: str
    vendor: str
    action: str  # create | link | comment | close | reopen | post | trigger | resolve
    idem_key: str
    payload: dict[str, Any]
    needs: dict[str, str]
    created_at: datetime
    status: EntryStatus = "pending"
    attempts: int = 0
    next_at: float = 0.0  # epoch seconds
    last_error: str | None = None
    result: dict[str, Any] | None = None
    updated_at: datetime | None = None
    seq: int = 0

    @property
    def name(self) -> str:
        return f"{self.vendor}.{self.action}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "action": self.name,
            "status": self.status,
            "attempts": self.attempts,
            "next_at": None
            if self.status != "pending"
            else iso(datetime.fromtimestamp(self.next_at, UTC)),
            "last_error": self.last_error,
            "result": self.result,
            "needs": dict(self.needs),
        }
