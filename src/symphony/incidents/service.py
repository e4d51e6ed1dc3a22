"""The incident lifecycle: open from an SLO alert, an Alertmanager webhook or by hand; one
incident per alert key; repeats add nothing; resolve closes; a new firing within the reopen
window reopens. Every change and its outbound actions commit in one transaction.

Dedupe keys: `slo:<name>` for the in-process evaluator and for Alertmanager alerts carrying
an `slo` label (so both paths meet in one incident), `am:<fingerprint>` for other alerts,
`manual:<id>` for hand-filed incidents. An incident stays open while any of its sources
(the evaluator, each Alertmanager fingerprint) still fires. Alertmanager deliveries are
applied only if newer than the last one applied for that fingerprint (by startsAt, and
resolved after firing), so duplicates and late, out-of-order deliveries change nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from symphony.errors import NotFoundError, ValidationFailed
from symphony.incidents.alertmanager import AlertmanagerPayload, AmAlert
from symphony.incidents.lifecycle import (
    EVALUATOR,
    ArtifactRequest,
    ArtifactSource,
    IncidentSettings,
    Lifecycle,
    Step,
    new_incident_id,
)
from symphony.incidents.model import Incident, OutboxEntry
from symphony.incidents.parity import ParitySpec
from symphony.incidents.slo import SloAlert
from symphony.incidents.store import AlertMark, IncidentStore
from symphony.incidents.tickets import slo_title

__all__ = [
    "ArtifactRequest",
    "ArtifactSource",
    "DeliveryResult",
    "IncidentService",
    "IncidentSettings",
]


@dataclass(slots=True)
class DeliveryResult:
    """What one Alertmanager delivery changed."""

    opened: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    ignored: int = 0  # duplicates, stale or out-of-order alerts

    def to_dict(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "reopened": self.reopened,
            "resolved": self.resolved,
            "updated": self.updated,
            "ignored": self.ignored,
        }


class IncidentService(Lifecycle):
    """Open, dedupe, escalate, resolve and reopen incidents; see the module docstring."""

    async def load(self) -> None:
        """Read incidents, alert marks and the outbox from disk (call once at start)."""
        loaded = await self.store.load()
        self.book.load(loaded)
        self.outbox.load(loaded.entries)
        self.metrics.incidents_open.set(self.book.open_count())

    def set_parity(self, parity: ParitySpec) -> None:
        """Adopt a reloaded parity file (applies to steps from now on)."""
        self.parity = parity

    # --- reading ----------------------------------------------------------------------
    def get(self, incident_id: str) -> Incident:
        incident = self.book.incidents.get(incident_id)
        if incident is None:
            raise NotFoundError(f"no incident '{incident_id}'")
        return incident

    def incidents(self, status: str | None = None, roadmap: bool = False) -> list[Incident]:
        """Newest first; roadmap items only when asked for (`roadmap=True` lists only them)."""
        items = [
            i
            for i in self.book.incidents.values()
            if status in (None, i.status) and (i.source == "roadmap") == roadmap
        ]
        return sorted(items, key=lambda i: (i.opened_at, i.id), reverse=True)

    def view(self, incident_id: str) -> dict[str, Any]:
        """An incident with its tickets, timeline and outbound actions (GET /incidents/{id})."""
        incident = self.get(incident_id)
        return {
            **incident.to_dict(),
            "outbox": [e.to_dict() for e in self.outbox.entries(incident_id)],
        }

    # --- sources ----------------------------------------------------------------------
    async def on_slo_alert(self, alert: SloAlert) -> Incident | None:
        """An alert change from the in-process evaluator."""
        key = f"slo:{alert.slo}"
        if alert.state == "resolved":
            step = await self._clear(key, EVALUATOR, alert.at, "burn rates back under their limits")
            return None if step is None else step.incident
        status = alert.status.to_dict()
        step = await self._fire(
            key,
            EVALUATOR,
            alert.severity,
            alert.at,
            source="slo",
            title=slo_title(alert.slo, alert.severity),
            body="",
            slo=alert.slo,
            labels={"slo": alert.slo, "severity": alert.severity},
            extra={"slo_status": status},
        )
        return step.incident if step is not None else None

    async def on_alertmanager(self, payload: AlertmanagerPayload) -> DeliveryResult:
        """Apply one webhook delivery (idempotent; safe to deliver twice or out of order)."""
        result = DeliveryResult()
        for alert in payload.alerts:
            step = await self._am_alert(payload, alert)
            if step is None:
                result.ignored += 1
                continue
            bucket = {
                "opened": result.opened,
                "reopened": result.reopened,
                "resolved": result.resolved,
            }.get(step.event, result.updated)
            if step.incident.id not in bucket:
                bucket.append(step.incident.id)
        return result

    async def _am_alert(self, payload: AlertmanagerPayload, alert: AmAlert) -> Step | None:
        slo = alert.labels.get("slo")
        key = f"slo:{slo}" if slo else f"am:{alert.fingerprint}"
        source_id = f"am:{alert.fingerprint}"
        mark = AlertMark(alert.fingerprint, key, alert.status, alert.starts, alert.ends)
        known = self.book.marks.get(alert.fingerprint)
        if known is not None and mark.order <= known.order:
            return None
        if alert.status == "resolved":
            return await self._clear(
                key, source_id, alert.ends or alert.starts, "Alertmanager resolved it", mark
            )
        level = alert.labels.get("severity", "ticket")
        summary = alert.annotations.get("summary") or alert.name
        title = slo_title(slo, level) if slo else f"[Alert] {alert.name}: {summary}"
        body = alert.annotations.get("description", "")
        details = {
            "alertmanager": {
                "group_key": payload.group_key,
                "receiver": payload.receiver,
                "fingerprint": alert.fingerprint,
                "labels": alert.labels,
                "generator_url": alert.generator_url,
                "external_url": payload.external_url,
                "truncated_alerts": payload.truncated_alerts,
            }
        }
        return await self._fire(
            key,
            source_id,
            level,
            alert.starts,
            source="alertmanager",
            title=title,
            body=body,
            slo=slo,
            labels=alert.labels,
            extra=details,
            mark=mark,
        )

    async def open_manual(
        self,
        title: str,
        body: str,
        severity: str,
        labels: Sequence[str] = (),
        actor: str | None = None,
    ) -> Incident:
        """File an incident by hand (POST /incidents, the VS Code "File Incident")."""
        if not title.strip():
            raise ValidationFailed("title must not be empty", detail={"field": "title"})
        allowed = (*self.parity.severities, "page", "ticket")
        if severity not in allowed:
            raise ValidationFailed(
                f"severity '{severity}' is not one of {'|'.join(allowed)}",
                detail={"field": "severity"},
            )
        incident_id = new_incident_id()
        step = await self._fire(
            f"manual:{incident_id}",
            "manual",
            severity,
            self.clock.now(),
            source="manual",
            title=title.strip(),
            body=body,
            slo=None,
            labels={},
            extra={"filed_by": actor} if actor else {},
            incident_id=incident_id,
            ticket_labels=tuple(labels),
        )
        assert step is not None
        return step.incident

    async def resolve(
        self, incident_id: str, note: str | None = None, actor: str | None = None
    ) -> Incident:
        """Resolve by hand (idempotent: resolving a resolved incident changes nothing)."""
        incident = self.get(incident_id)
        if incident.status == "resolved":
            return incident
        reason = note or f"resolved by {actor or 'an operator'}"
        async with self.book.lock:
            incident.firing.clear()
            step = self._resolve_step(incident, self.clock.now(), reason)
            await self._commit(step, [])
        self._after(step)
        return incident

    async def open_roadmap(
        self,
        key: str,
        title: str,
        body: str,
        related: Sequence[str],
        artifacts: Mapping[str, Any],
    ) -> Incident | None:
        """File a roadmap item (a GitHub issue labelled `roadmap` and a Jira epic, linked to
        the incidents it summarises) once per `key`; None if that key was filed before."""
        now = self.clock.now()
        async with self.book.lock:
            if self.book.latest(key) is not None:
                return None
            incident = Incident(
                id=new_incident_id().replace("inc_", "rmp_"),
                key=key,
                source="roadmap",
                title=title,
                body=body,
                severity=self.parity.severities[-1],
                status="open",
                opened_at=now,
                updated_at=now,
                labels=["roadmap"],
                artifacts=dict(artifacts),
                related=list(related),
            )
            incident.note(now, "opened", f"roadmap item for {len(related)} incidents")
            self.book.add(incident)
            planner = self._planner(incident)
            planner.roadmap([self.book.incidents[i] for i in related if i in self.book.incidents])
            step = Step(incident, "opened", planner.entries)
            await self._commit(step, [])
        self._after(step)
        return incident

    async def file_issue(
        self, title: str, body: str, labels: Sequence[str], kind: str = "incident"
    ) -> OutboxEntry:
        """An ad-hoc GitHub issue through the outbox (POST /integrations/github/issues)."""
        if "github" not in self.integrations.tickets:
            status = next(s for s in self.integrations.statuses if s.vendor == "github")
            raise ValidationFailed(f"GitHub is off: {status.why_off}")
        marker = f"adhoc_{secrets.token_hex(6)}"
        draft = {
            "title": title,
            "body": body,
            "marker": marker,
            "labels": list(labels),
            "fields": {},
            "kind": "epic" if kind == "epic" else "incident",
        }
        entry = self.outbox.new_entry(
            marker, "github", "create", f"{marker}:github:create", {"draft": draft}
        )
        assert entry is not None
        async with self.book.lock:
            await self.store.write([IncidentStore.insert_entry(entry)])
        self.outbox.register([entry])
        return entry
