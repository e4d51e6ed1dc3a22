"""Incidents as facts: the one place the incident lifecycle and its outbox are announced.

The incident service and the outbox report each change through one sink (`fact(kind,
payload)`); this flow turns it into the typed fact (`incident.opened`, `ticket.created`,
`notify.failed`, …), publishes it on the bus and appends its audit record. The domain counts
the metrics itself, next to the change (`symphony_incident_transitions_total`,
`symphony_incident_actions_total`, `symphony_incidents_open`), so they are never counted
twice. It also gathers the artifacts a new incident's tickets carry (policy version, recent
audit ids, window states, p95) and feeds the SLO evaluator from the execute facts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.events.bus import Event, EventBus
from symphony.events.facts import (
    EventType,
    Fact,
    IncidentEscalated,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    NotifyFailed,
    NotifySent,
    TicketCreated,
    TicketFailed,
    TicketUpdated,
)
from symphony.incidents.lifecycle import ArtifactRequest
from symphony.incidents.slo_service import SloService
from symphony.policy.store import PolicyStore
from symphony.routing.stats import LatencyStats
from symphony.windows.service import WindowService

log = logging.getLogger(__name__)

INCIDENT_FACTS: dict[str, type[IncidentOpened | IncidentReopened | IncidentEscalated]] = {
    "incident.opened": IncidentOpened,
    "incident.reopened": IncidentReopened,
    "incident.escalated": IncidentEscalated,
}
DONE_FACTS = {
    "ticket.created": TicketCreated,
    "ticket.updated": TicketUpdated,
    "notify.sent": NotifySent,
}
FAILED_FACTS = {"ticket.failed": TicketFailed, "notify.failed": NotifyFailed}
RECENT_AUDIT = 5
SLO_FEED = (EventType.ROUTE_EXECUTE.value, EventType.ERROR.value)


def build_fact(kind: str, payload: Mapping[str, Any]) -> Fact:
    """The typed fact for one sink call (unknown kinds are a bug: KeyError names them)."""
    p = dict(payload)
    if kind in INCIDENT_FACTS or kind == "incident.resolved":
        cls = IncidentResolved if kind == "incident.resolved" else INCIDENT_FACTS[kind]
        return cls(
            incident_id=str(p["incident_id"]),
            key=str(p["key"]),
            source=str(p["source"]),
            title=str(p["title"]),
            severity=str(p["severity"]),
            episode=int(p.get("episode", 1)),
            actions=[str(a) for a in p.get("actions", [])],
            slo=p.get("slo"),
        )
    common: dict[str, Any] = {
        "incident_id": str(p["incident_id"]),
        "entry_id": str(p["entry_id"]),
        "vendor": str(p["vendor"]),
        "action": str(p["action"]),
        "attempts": p.get("attempts"),
    }
    if kind in DONE_FACTS:
        return DONE_FACTS[kind](**common, result=p.get("result"))
    if kind in FAILED_FACTS:
        return FAILED_FACTS[kind](
            **common,
            error=str(p.get("error", "")),
            final=bool(p.get("final", True)),
            retry_in_s=p.get("retry_in_s"),
            cancelled=p.get("cancelled"),
        )
    raise KeyError(f"unknown incident fact kind '{kind}'")


class IncidentFlow:
    """Publishes and audits every incident and outbox change; gathers incident artifacts."""

    def __init__(
        self,
        audit: AuditSink,
        bus: EventBus,
        policy: PolicyStore,
        windows: WindowService,
        stats: LatencyStats,
        clock: Clock,
    ) -> None:
        self.audit = audit
        self.bus = bus
        self.policy = policy
        self.windows = windows
        self.stats = stats
        self.clock = clock
        self._audits: set[asyncio.Task[Any]] = set()

    # --- the sink the incident service and the outbox report to ---------------------------
    def fact(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Publish the typed fact now; its audit record is appended in the background
        (`drain` waits for them) so the lifecycle's lock is never held for an fsync."""
        fact = build_fact(kind, payload)
        self.bus.emit(fact)
        body = fact.payload()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a synchronous caller (CLI tooling): append in place
            self.audit.append_sync(kind, body, actor="symphony")
            return
        task = loop.create_task(self._append(kind, body))
        self._audits.add(task)
        task.add_done_callback(self._audits.discard)

    async def _append(self, kind: str, body: dict[str, Any]) -> None:
        try:
            await self.audit.append(kind, body, actor="symphony")
        except Exception:  # the fact is out; a failed audit write is logged and counted
            log.exception("audit append failed for %s", kind)

    async def drain(self) -> None:
        """Wait for every pending audit append (shutdown, tests)."""
        while self._audits:
            await asyncio.gather(*list(self._audits), return_exceptions=True)

    # --- the artifacts a new incident carries ---------------------------------------------
    async def artifacts(self, request: ArtifactRequest) -> Mapping[str, Any]:
        """Policy version, recent audit ids, window states and p95 per model, for the body
        of the incident's tickets (what an on-call person looks at first)."""
        snapshot = self.policy.snapshot
        now = self.clock.now()
        recent = await self.audit.query(type="route.execute", limit=RECENT_AUDIT)
        windows: dict[str, Any] = {}
        p95: dict[str, float] = {}
        for model in snapshot.models:
            try:
                state = self.windows.state(snapshot, model.name, now).to_dict()
            except Exception:  # one odd model must not keep an incident from opening
                continue
            windows[model.name] = {
                k: state[k] for k in ("state", "remaining", "cap", "resets_at") if k in state
            }
            value = self.stats.p95(model.name)
            if value is not None:
                p95[model.name] = round(value, 1)
        return {
            "policy_version": snapshot.version,
            "recent_audit_ids": [r.id for r in recent],
            "window_states": windows,
            "p95_ms": p95,
            "labels": dict(request.labels),
        }

    # --- the SLO evaluator's input -------------------------------------------------------
    def feed(self, slo: SloService) -> None:
        """Count every finished execute in the SLOs (a direct bus listener: never dropped)."""

        def on_event(event: Event) -> None:
            if event.type in SLO_FEED:
                slo.consume(event.type, event.payload, event.at)

        self.bus.listen(on_event)
