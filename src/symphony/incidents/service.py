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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from symphony.clock import Clock
from symphony.errors import NotFoundError, ValidationFailed
from symphony.incidents.alertmanager import AlertmanagerPayload, AmAlert
from symphony.incidents.book import IncidentBook
from symphony.incidents.model import Incident, OutboxEntry, Source, iso
from symphony.incidents.outbox import FactSink, Outbox
from symphony.incidents.parity import ParitySpec
from symphony.incidents.plans import PlanContext, Planner
from symphony.incidents.slo import SloAlert
from symphony.incidents.store import AlertMark, IncidentStore
from symphony.incidents.tickets import slo_title
from symphony.integrations.registry import Integrations
from symphony.metrics.slo import SloMetrics
from symphony.policy.model import SloSpec
from symphony.store.sqlite import Statement

EVALUATOR = "evaluator"
RANK = {"p1": 0, "p2": 1, "p3": 2}


@dataclass(frozen=True, slots=True)
class ArtifactRequest:
    """What an artifacts source is asked about when an incident opens or reopens."""

    key: str
    source: str
    slo: str | None
    labels: Mapping[str, str] = field(default_factory=dict)


ArtifactSource = Callable[[ArtifactRequest], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class IncidentSettings:
    runbook_url: str = "docs/runbook.md#slo-error-budget-burn"
    slo_labels: tuple[str, ...] = ("slo", "auto")  # added to tickets of SLO incidents


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


@dataclass(slots=True)
class _Step:
    incident: Incident
    event: str  # opened | reopened | resolved | escalated | noted | none
    entries: list[OutboxEntry]


class IncidentService:
    def __init__(
        self,
        store: IncidentStore,
        book: IncidentBook,
        outbox: Outbox,
        integrations: Integrations,
        parity: ParitySpec,
        clock: Clock,
        metrics: SloMetrics,
        on_fact: FactSink,
        artifacts: ArtifactSource,
        slo_specs: Callable[[], Sequence[SloSpec]],
        settings: IncidentSettings,
    ) -> None:
        self.store = store
        self.book = book
        self.outbox = outbox
        self.integrations = integrations
        self.parity = parity
        self.clock = clock
        self.metrics = metrics
        self.on_fact = on_fact
        self.artifacts = artifacts
        self.slo_specs = slo_specs
        self.settings = settings

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

    async def _am_alert(self, payload: AlertmanagerPayload, alert: AmAlert) -> _Step | None:
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
        incident_id = _new_id()
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
                id=_new_id().replace("inc_", "rmp_"),
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
            step = _Step(incident, "opened", planner.entries)
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

    # --- lifecycle --------------------------------------------------------------------
    def _reopen_within(self, incident: Incident) -> timedelta | None:
        if incident.slo is not None:
            for spec in self.slo_specs():
                if spec.name == incident.slo and spec.reopen_within is not None:
                    return spec.reopen_within
        return self.parity.reopen_within

    async def _fire(
        self,
        key: str,
        source_id: str,
        level: str,
        at: datetime,
        *,
        source: Source,
        title: str,
        body: str,
        slo: str | None,
        labels: Mapping[str, str],
        extra: Mapping[str, Any],
        mark: AlertMark | None = None,
        incident_id: str | None = None,
        ticket_labels: tuple[str, ...] = (),
    ) -> _Step | None:
        latest = self.book.latest(key)
        artifacts: dict[str, Any] = {}
        if latest is None or latest.status == "resolved":  # gathered outside the lock
            request = ArtifactRequest(key, source, slo, dict(labels))
            artifacts = {**dict(await self.artifacts(request)), **extra}
        severity = self.parity.severity_for(level)
        now = self.clock.now()
        async with self.book.lock:
            latest = self.book.latest(key)
            marks = [mark] if mark is not None else []
            if latest is not None and latest.status == "open":
                step = self._repeat(latest, source_id, level, severity, now)
            elif latest is not None and self._reopens(latest, at):
                latest.artifacts = artifacts or latest.artifacts
                step = self._reopen_step(latest, source_id, level, severity, now)
            else:
                incident = Incident(
                    id=incident_id or _new_id(),
                    key=key,
                    source=source,
                    title=title,
                    body=body,
                    severity=severity,
                    status="open",
                    opened_at=now,
                    updated_at=now,
                    level=level,
                    slo=slo,
                    artifacts=artifacts,
                    firing={source_id: level},
                )
                incident.note(now, "opened", f"opened by {source_id} ({level})", since=iso(at))
                self.book.add(incident)
                planner = self._planner(incident)
                extra_labels = self.settings.slo_labels if slo else ()
                planner.opened((*extra_labels, *ticket_labels))
                step = _Step(incident, "opened", planner.entries)
            await self._commit(step, marks)
        self._after(step)
        return step

    def _reopens(self, incident: Incident, at: datetime) -> bool:
        window = self._reopen_within(incident)
        if window is None or incident.resolved_at is None:
            return False
        return at - incident.resolved_at <= window

    def _repeat(
        self, incident: Incident, source_id: str, level: str, severity: str, now: datetime
    ) -> _Step:
        """A firing for an open incident: record the source; escalate if more severe."""
        new_source = source_id not in incident.firing
        incident.firing[source_id] = level
        if RANK.get(severity, 9) < RANK.get(incident.severity, 9):
            previous = incident.severity
            incident.severity, incident.level = severity, level
            incident.note(now, "escalated", f"{previous} -> {severity} ({source_id})")
            planner = self._planner(incident)
            planner.escalated(previous)
            return _Step(incident, "escalated", planner.entries)
        if new_source:
            incident.note(now, "fired", f"also firing: {source_id} ({level})")
            return _Step(incident, "noted", [])
        return _Step(incident, "none", [])

    def _reopen_step(
        self, incident: Incident, source_id: str, level: str, severity: str, now: datetime
    ) -> _Step:
        incident.status = "open"
        incident.episode += 1
        incident.resolved_at = None
        incident.firing = {source_id: level}
        incident.severity, incident.level = severity, level
        incident.note(now, "reopened", f"reopened by {source_id} (episode {incident.episode})")
        planner = self._planner(incident)
        planner.reopened()
        return _Step(incident, "reopened", planner.entries)

    def _resolve_step(self, incident: Incident, at: datetime, reason: str) -> _Step:
        incident.status = "resolved"
        incident.resolved_at = at
        incident.note(at, "resolved", reason)
        planner = self._planner(incident)
        planner.resolved(reason)
        return _Step(incident, "resolved", planner.entries)

    async def _clear(
        self,
        key: str,
        source_id: str,
        at: datetime,
        reason: str,
        mark: AlertMark | None = None,
    ) -> _Step | None:
        """A source stopped firing; resolve when none is left."""
        async with self.book.lock:
            incident = self.book.latest(key)
            marks = [mark] if mark is not None else []
            if incident is None or incident.status != "open" or source_id not in incident.firing:
                if marks:  # remember the resolve so a late firing of it is ignored
                    await self._commit(None, marks)
                return None
            del incident.firing[source_id]
            now = self.clock.now()
            if incident.firing:
                incident.note(now, "cleared", f"{source_id} stopped firing; others still fire")
                step = _Step(incident, "noted", [])
            else:
                step = self._resolve_step(incident, max(at, incident.opened_at), reason)
            await self._commit(step, marks)
        self._after(step)
        return step

    def _planner(self, incident: Incident) -> Planner:
        ctx = PlanContext(self.outbox, self.integrations, self.parity, self.settings.runbook_url)
        return Planner(ctx, incident)

    async def _commit(self, step: _Step | None, marks: list[AlertMark]) -> None:
        now = self.clock.now()
        statements: list[Statement] = [IncidentStore.put_mark(m, now) for m in marks]
        if step is not None and step.event != "none":
            statements.append(IncidentStore.put_incident(step.incident))
            statements.extend(IncidentStore.insert_entry(e) for e in step.entries)
        await self.store.write(statements)
        for mark in marks:
            self.book.marks[mark.fingerprint] = mark
        if step is not None:
            self.outbox.register(step.entries)

    def _after(self, step: _Step) -> None:
        """Facts and metrics once the step is durable."""
        incident = step.incident
        self.metrics.incidents_open.set(self.book.open_count())
        if step.event not in ("opened", "reopened", "resolved", "escalated"):
            return
        fact = f"incident.{step.event}"
        if step.event != "escalated":
            self.metrics.incident_transitions.labels(step.event, incident.source).inc()
        self.on_fact(
            fact,
            {
                "incident_id": incident.id,
                "key": incident.key,
                "source": incident.source,
                "title": incident.title,
                "severity": incident.severity,
                "slo": incident.slo,
                "episode": incident.episode,
                "actions": [e.name for e in step.entries],
            },
        )


def _new_id() -> str:
    return f"inc_{secrets.token_hex(8)}"
