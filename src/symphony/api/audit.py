"""GET /audit and GET /audit/{audit_id} (operator), and the plan-decision audit helper."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from symphony.api.deps import StateDep
from symphony.api.errors import json_response
from symphony.api.schemas import example
from symphony.api.security import api_key_of, require_tenant
from symphony.api.state import AppState
from symphony.audit.log import MAX_QUERY_LIMIT
from symphony.audit.sink import AuditSink
from symphony.errors import NoEligibleModelError, NotFoundError, ValidationFailed
from symphony.execute.planning import PlannedWork

router = APIRouter(tags=["audit"])

RECORD_EXAMPLE: dict[str, Any] = {
    "seq": 42, "id": "aud_Qm9vYmFyYmF6cXV4cXV1", "type": "route.execute",
    "at": "2026-11-22T17:00:00.000000+00:00", "actor": "vscode-alice", "tenant": "default",
    "payload": {"plan_id": "pln_x", "model": "local/ollama", "cost_usd": 0.0, "attempts": []},
    "prev_hash": "9f2c…", "hash": "1ab4…",
}  # fmt: skip


def audit_log(state: AppState) -> AuditSink:
    found: AuditSink | None = state.extras.get("audit")
    if found is None:
        raise NotFoundError("the audit log is not configured")
    return found


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        message = "must be an ISO 8601 instant with a UTC offset, e.g. 2026-11-22T17:00:00Z"
        raise ValidationFailed(
            f"query.since: {message}",
            detail={"fields": [{"path": "query.since", "message": message}]},
        )
    return value


@router.get(
    "/audit",
    summary="Audit records, newest first; filter by since/type/tenant, page with before_seq",
    responses=example({"items": [RECORD_EXAMPLE], "next_before_seq": 42}),
)
async def list_audit(
    state: StateDep,
    request: Request,
    since: str | None = Query(
        None, max_length=64, description="ISO 8601 instant, e.g. 2026-11-22T17:00:00Z"
    ),
    type: str | None = Query(None, max_length=64, description="record type, e.g. route.execute"),
    tenant: str | None = Query(None, max_length=64),
    before_seq: int | None = Query(None, ge=1, description="page: records older than this seq"),
    limit: int = Query(100, ge=1, le=MAX_QUERY_LIMIT),
) -> Response:
    key = api_key_of(request)
    if key is not None and key.tenants:
        if tenant is None and len(key.tenants) == 1:
            tenant = key.tenants[0]
        if tenant is None:
            raise ValidationFailed("query.tenant: required for a key bound to several tenants")
        require_tenant(request, tenant)
    records = await audit_log(state).query(
        since=_since(since), type=type, tenant=tenant, before_seq=before_seq, limit=limit
    )
    items = [r.to_dict() for r in records]
    more = len(records) == limit and records[-1].seq > 1
    return json_response({"items": items, "next_before_seq": records[-1].seq if more else None})


@router.get(
    "/audit/{audit_id}",
    summary="One audit record by id (operator)",
    responses={**example(RECORD_EXAMPLE), 404: {"description": "No record with that id"}},
)
async def get_audit(audit_id: str, state: StateDep, request: Request) -> Response:
    record = await audit_log(state).get(audit_id)
    key = api_key_of(request)
    if record is not None and key is not None and key.tenants and record.tenant not in key.tenants:
        record = None  # a tenant-bound key sees only its tenants' records
    if record is None:
        raise NotFoundError(f"no audit record '{audit_id[:64]}'")
    return json_response(record.to_dict())


async def record_plan(
    state: AppState,
    request: Request,
    tenant: str,
    work: PlannedWork | None = None,
    denied: NoEligibleModelError | None = None,
) -> None:
    """Audit one /route/plan decision (chosen model, or that every candidate was denied)."""
    audit: AuditSink | None = state.extras.get("audit")
    if audit is None:
        return
    key = api_key_of(request)
    actor = key.name if key is not None else None
    if work is not None:
        plan = work.plan
        payload: dict[str, Any] = {
            "outcome": "planned",
            "plan_id": work.plan_id,
            "policy_version": work.snapshot.version,
            "model": plan.primary.name if plan.primary else None,
            "fallbacks": [c.name for c in plan.fallbacks],
            "why": plan.primary.why[:3] if plan.primary else [],
            "denied": {c.name: [code for code, _ in c.deny] for c in plan.candidates if c.denied},
            "loa": plan.controls.loa,
        }
    else:
        detail = denied.detail if denied is not None and isinstance(denied.detail, dict) else {}
        payload = {
            "outcome": "no_eligible_model",
            "policy_version": detail.get("policy_version"),
            "denied": {
                c["model"]: [r["code"] for r in c.get("deny_reasons", [])]
                for c in detail.get("candidates", [])
            },
        }
    await audit.append("route.plan", payload, actor=actor, tenant=tenant)
