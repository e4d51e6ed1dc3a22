"""SLOs, incidents and integrations: GET /slo, GET|POST /incidents, GET /incidents/{id},
POST /incidents/{id}/resolve, GET /integrations, POST /integrations/alertmanager,
POST /integrations/github/issues, and (demo) GET /integrations/fakes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from symphony.api.contracts.base import content, ok
from symphony.api.contracts.errors import INVALID, SERVICE_WIDE, STORE_DOWN, problems
from symphony.api.contracts.incidents import (
    AlertmanagerResult,
    FakesReport,
    IncidentDetail,
    IncidentList,
    IntegrationsReport,
    OutboxAction,
    SloReport,
)
from symphony.api.deps import IncidentsDep, PolicyDep
from symphony.api.errors import json_response
from symphony.api.incident_bodies import GitHubIssueIn, IncidentIn, ResolveIn
from symphony.api.incident_views import (
    INCIDENT_EXAMPLE,
    SLO_EXAMPLE,
    detail,
    integrations_report,
    summary,
)
from symphony.api.security import actor_of, service_wide
from symphony.errors import NotFoundError
from symphony.incidents.alertmanager import AlertmanagerPayload
from symphony.incidents.model import Incident, OutboxEntry

# SLOs, incidents and integrations describe the whole service: no tenant-bound key (docs/api.md
# "Tenant walls").
router = APIRouter(
    tags=["incidents"],
    dependencies=[Depends(service_wide)],
    responses=problems({403: SERVICE_WIDE}),
)
TICKET_WAIT_POLL_S = 0.05
AM_RESULT_EXAMPLE = {
    "opened": ["inc_4f1c2a9e0b7d6c51"],
    "reopened": [],
    "resolved": [],
    "updated": [],
    "ignored": 0,
}


@router.get(
    "/slo",
    summary="Every SLO: objective, burn rate per window, error budget left, status",
    responses=ok(SloReport, SLO_EXAMPLE),
)
async def slo_status(incidents: IncidentsDep, policy: PolicyDep) -> Response:
    statuses = incidents.services.slo.status()
    return json_response(
        {
            "policy_version": policy.snapshot.version,
            "evaluator": incidents.settings.incidents_enabled,
            "slos": [s.to_dict() for s in statuses],
        }
    )


@router.get(
    "/incidents",
    summary="Incidents, newest first (filter by status)",
    responses={
        **ok(IncidentList, {"open": 1, "incidents": [INCIDENT_EXAMPLE["summary"]]}),
        **problems({422: INVALID}),
    },
)
async def list_incidents(
    incidents: IncidentsDep,
    status: str | None = Query(None, pattern="^(open|resolved)$"),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    service = incidents.services.incidents
    items = service.incidents(status)[:limit]
    return json_response(
        {"open": service.book.open_count(), "incidents": [summary(i) for i in items]}
    )


@router.post(
    "/incidents",
    status_code=201,
    summary="File an incident by hand: tickets and notifications follow through the outbox"
    " (operator)",
    responses={
        201: {
            "description": "Opened; `tickets` lists those created within `wait_s`",
            "content": content(IncidentDetail, INCIDENT_EXAMPLE["detail"]),
        },
        **problems({422: "Empty title or a severity the parity file does not know"}),
        **problems({503: STORE_DOWN}),
    },
)
async def create_incident(
    body: IncidentIn,
    incidents: IncidentsDep,
    request: Request,
    wait_s: float = Query(
        2.0, ge=0, le=10, description="Seconds to wait for the tickets to exist before answering"
    ),
) -> Response:
    service = incidents.services.incidents
    incident = await service.open_manual(
        body.title, body.body, body.severity, body.labels, actor=actor_of(request)
    )
    await _await_tickets(incident, incidents.services.outbox.entries(incident.id), wait_s)
    return json_response(detail(incident, incidents.services.outbox), status=201)


async def _await_tickets(incident: Incident, entries: list[OutboxEntry], wait_s: float) -> None:
    """Wait (bounded) until each ticket create is on the incident, failed, or waiting for a
    retry (then the answer says so rather than keep the caller waiting)."""
    creates = [e for e in entries if e.action == "create"]

    def settled(entry: OutboxEntry) -> bool:
        return (
            entry.vendor in incident.tickets
            or entry.status in ("failed", "cancelled")
            or (entry.status == "pending" and entry.last_error is not None)
        )

    loop = asyncio.get_running_loop()
    end = loop.time() + wait_s
    # The outbox settles entries in its own loop; a bounded poll of their state is enough.
    while not all(settled(e) for e in creates) and loop.time() < end:  # noqa: ASYNC110
        await asyncio.sleep(TICKET_WAIT_POLL_S)


def _incident(incidents: IncidentsDep, incident_id: str) -> Incident:
    found = incidents.services.incidents.book.incidents.get(incident_id)
    if found is None:
        raise NotFoundError(f"no incident '{incident_id}' (GET /incidents lists them)")
    return found


@router.get(
    "/incidents/{incident_id}",
    summary="One incident with its tickets (and their URLs), timeline and outbound actions",
    responses={
        **ok(IncidentDetail, INCIDENT_EXAMPLE["detail"]),
        **problems({404: "No incident with that id"}),
    },
)
async def get_incident(incident_id: str, incidents: IncidentsDep) -> Response:
    return json_response(detail(_incident(incidents, incident_id), incidents.services.outbox))


@router.post(
    "/incidents/{incident_id}/resolve",
    summary="Resolve by hand (body `{}` or with a `note`): tickets close and pages resolve"
    " (idempotent; operator)",
    responses={
        **ok(IncidentDetail, INCIDENT_EXAMPLE["resolved"]),
        **problems({404: "No incident with that id", 422: INVALID, 503: STORE_DOWN}),
    },
)
async def resolve_incident(
    incident_id: str, body: ResolveIn, incidents: IncidentsDep, request: Request
) -> Response:
    _incident(incidents, incident_id)
    incident = await incidents.services.incidents.resolve(
        incident_id, note=body.note, actor=actor_of(request)
    )
    return json_response(detail(incident, incidents.services.outbox))


@router.get(
    "/integrations",
    summary="GitHub, Jira, Slack and PagerDuty: on or off and why (never a secret), the"
    " parity file, the outbox (operator)",
    responses=ok(IntegrationsReport, INCIDENT_EXAMPLE["integrations"]),
)
async def integrations(incidents: IncidentsDep) -> Response:
    return json_response(integrations_report(incidents))


@router.post(
    "/integrations/alertmanager",
    summary="Alertmanager webhook (payload version 4): alerts open, update and resolve"
    " incidents; idempotent by fingerprint (operator key as bearer token)",
    responses={
        **ok(AlertmanagerResult, AM_RESULT_EXAMPLE),
        **problems({422: "Not an Alertmanager v4 payload", 503: STORE_DOWN}),
    },
)
async def alertmanager(payload: AlertmanagerPayload, incidents: IncidentsDep) -> Response:
    result = await incidents.services.incidents.on_alertmanager(payload)
    return json_response(result.to_dict())


@router.post(
    "/integrations/github/issues",
    status_code=202,
    summary="An ad-hoc GitHub issue through the outbox (created once, retried; operator)",
    responses={
        202: {"description": "Queued", "content": content(OutboxAction)},
        **problems({422: "GitHub is off (says why) or an invalid body", 503: STORE_DOWN}),
    },
)
async def github_issue(body: GitHubIssueIn, incidents: IncidentsDep) -> Response:
    entry = await incidents.services.incidents.file_issue(
        body.title, body.body, body.labels, body.kind
    )
    return json_response(entry.to_dict(), status=202)


@router.get(
    "/integrations/fakes",
    summary="Demo mode: what the in-process GitHub, Jira, Slack and PagerDuty fakes received"
    " (operator)",
    responses={
        **ok(FakesReport, {"github": [], "jira": [], "slack": [], "pagerduty": []}),
        **problems({404: "Not in demo mode with fakes (real integrations or none)"}),
    },
)
async def fakes(incidents: IncidentsDep) -> Response:
    if incidents.fakes is None:
        raise NotFoundError(
            "no integration fakes: they run only in demo mode (SYMPHONY_DEMO=true) while no"
            " real integration is configured"
        )
    return json_response(incidents.fakes.received())
