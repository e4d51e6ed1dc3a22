"""The incident lifecycle steps shared by every source: fire (open, repeat, escalate,
reopen), clear (resolve when no source fires), and the commit that writes an incident, its
outbox entries and Alertmanager marks in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from symphony.clock import Clock
from symphony.incidents.book import IncidentBook
from symphony.incidents.model import Incident, OutboxEntry, Source, iso
from symphony.incidents.outbox import FactSink, Outbox
from symphony.incidents.parity import ParitySpec
from symphony.incidents.plans import PlanContext, Planner
from symphony.incidents.store import AlertMark, IncidentStore
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
class Step:
    incident: Incident
    event: str  # opened | reopened | resolved | escalated | noted | none
    entries: list[OutboxEntry]


class Lifecycle:
    """Collaborators and the steps; IncidentService adds the public API on top."""

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
    ) -> Step | None:
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
                    id=incident_id or new_incident_id(),
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
                step = Step(incident, "opened", planner.entries)
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
    ) -> Step:
        """A firing for an open incident: record the source; escalate if more severe."""
        new_source = source_id not in incident.firing
        incident.firing[source_id] = level
        if RANK.get(severity, 9) < RANK.get(incident.severity, 9):
            previous = incident.severity
            incident.severity, incident.level = severity, level
            incident.note(now, "escalated", f"{previous} -> {severity} ({source_id})")
            planner = self._planner(incident)
            planner.escalated(previous)
            return Step(incident, "escalated", planner.entries)
        if new_source:
            incident.note(now, "fired", f"also firing: {source_id} ({level})")
            return Step(incident, "noted", [])
        return Step(incident, "none", [])

    def _reopen_step(
        self, incident: Incident, source_id: str, level: str, severity: str, now: datetime
    ) -> Step:
        incident.status = "open"
        incident.episode += 1
        incident.resolved_at = None
        incident.firing = {source_id: level}
        incident.severity, incident.level = severity, level
        incident.note(now, "reopened", f"reopened by {source_id} (episode {incident.episode})")
        planner = self._planner(incident)
        planner.reopened()
        return Step(incident, "reopened", planner.entries)

    def _resolve_step(self, incident: Incident, at: datetime, reason: str) -> Step:
        incident.status = "resolved"
        incident.resolved_at = at
        incident.note(at, "resolved", reason)
        planner = self._planner(incident)
        planner.resolved(reason)
        return Step(incident, "resolved", planner.entries)

    async def _clear(
        self,
        key: str,
        source_id: str,
        at: datetime,
        reason: str,
        mark: AlertMark | None = None,
    ) -> Step | None:
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
                step = Step(incident, "noted", [])
            else:
                step = self._resolve_step(incident, max(at, incident.opened_at), reason)
            await self._commit(step, marks)
        self._after(step)
        return step

    def _planner(self, incident: Incident) -> Planner:
        ctx = PlanContext(self.outbox, self.integrations, self.parity, self.settings.runbook_url)
        return Planner(ctx, incident)

    async def _commit(self, step: Step | None, marks: list[AlertMark]) -> None:
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

    def _after(self, step: Step) -> None:
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


def new_incident_id() -> str:
    return f"inc_{secrets.token_hex(8)}"
