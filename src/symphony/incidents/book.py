"""The in-memory incident book: incidents by id and dedupe key, Alertmanager marks, one lock.

The service changes incidents through it; the outbox reports action results through it
(`settled`), and both write the statements it returns in the same transaction as their
own, under its lock, so memory and SQLite never disagree about what was done."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symphony.incidents.model import Incident, OutboxEntry
from symphony.incidents.store import AlertMark, IncidentStore, Loaded
from symphony.store.sqlite import Statement


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one attempt at an outbox entry ended."""

    ok: bool
    at: datetime
    result: dict[str, Any] | None = None
    error: str | None = None
    final: bool = True  # False: it will be retried
    retry_in_s: float | None = None


class IncidentBook:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.incidents: dict[str, Incident] = {}
        self._by_key: dict[str, list[str]] = {}
        self.marks: dict[str, AlertMark] = {}

    def load(self, loaded: Loaded) -> None:
        for incident in loaded.incidents:
            self.add(incident)
        self.marks = {m.fingerprint: m for m in loaded.marks}

    def add(self, incident: Incident) -> None:
        if incident.id not in self.incidents:
            self._by_key.setdefault(incident.key, []).append(incident.id)
        self.incidents[incident.id] = incident

    def latest(self, key: str) -> Incident | None:
        """The newest incident for a dedupe key (open or resolved)."""
        ids = self._by_key.get(key)
        return self.incidents[ids[-1]] if ids else None

    def open_count(self) -> int:
        return sum(
            1 for i in self.incidents.values() if i.status == "open" and i.source != "roadmap"
        )

    def settled(self, entry: OutboxEntry, outcome: Settlement) -> list[Statement]:
        """Record an action's outcome on its incident; return the statements to persist."""
        incident = self.incidents.get(entry.incident_id)
        if incident is None:
            return []
        if outcome.ok:
            result = outcome.result or {}
            if entry.action == "create" and "url" in result:
                incident.tickets[entry.vendor] = {
                    "id": str(result["id"]),
                    "url": str(result["url"]),
                    "state": "open",
                }
                incident.note(
                    outcome.at,
                    "ticket.created",
                    f"{entry.vendor} {result['id']} created",
                    url=result["url"],
                )
            elif entry.action in ("close", "reopen") and entry.vendor in incident.tickets:
                state = "closed" if entry.action == "close" else "open"
                incident.tickets[entry.vendor]["state"] = state
                incident.note(outcome.at, "ticket.updated", f"{entry.vendor} ticket {state}")
            elif entry.action == "link":
                incident.note(outcome.at, "ticket.updated", f"{entry.vendor} ticket cross-linked")
            elif entry.action in ("post", "trigger", "resolve"):
                incident.note(outcome.at, "notify.sent", f"{entry.vendor} {entry.action}")
            else:
                incident.note(outcome.at, "ticket.updated", f"{entry.vendor} {entry.action}")
        else:
            kind = (
                "notify.failed"
                if entry.action in ("post", "trigger", "resolve")
                else ("ticket.failed")
            )
            when = "gave up" if outcome.final else f"retry in {outcome.retry_in_s:.0f}s"
            incident.note(
                outcome.at,
                kind,
                f"{entry.vendor} {entry.action} failed ({when}): {outcome.error}",
                attempts=entry.attempts,
            )
        return [IncidentStore.put_incident(incident)]
