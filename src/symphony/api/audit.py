"""GET /audit and GET /audit/{audit_id} (operator)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from symphony.api.contracts.audit import AuditPage, AuditRecordOut
from symphony.api.contracts.base import ok
from symphony.api.contracts.errors import INVALID, STORE_DOWN, TENANT, problems
from symphony.api.deps import AuditDep
from symphony.api.errors import json_response
from symphony.api.security import api_key_of, require_tenant
from symphony.audit.log import MAX_QUERY_LIMIT
from symphony.errors import NotFoundError, ValidationFailed

router = APIRouter(tags=["audit"])
MAX_SEQ = 2**63 - 1  # SQLite INTEGER; a larger before_seq is a 422 naming the field

RECORD_EXAMPLE: dict[str, Any] = {
    "seq": 42, "id": "aud_Qm9vYmFyYmF6cXV4cXV1", "type": "route.execute",
    "at": "2026-11-22T17:00:00.000000+00:00", "actor": "vscode-alice", "tenant": "default",
    "payload": {"plan_id": "pln_x", "model": "local/ollama", "cost_usd": 0.0, "attempts": []},
    "prev_hash": "9f2c…", "hash": "1ab4…",
}  # fmt: skip


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
    responses={
        **ok(AuditPage, {"items": [RECORD_EXAMPLE], "next_before_seq": 41}),
        **problems({403: TENANT, 422: INVALID, 503: STORE_DOWN}),
    },
)
async def list_audit(
    audit: AuditDep,
    request: Request,
    since: str | None = Query(
        None, max_length=64, description="ISO 8601 instant, e.g. 2026-11-22T17:00:00Z"
    ),
    type: str | None = Query(None, max_length=64, description="record type, e.g. route.execute"),
    tenant: str | None = Query(None, max_length=64),
    before_seq: int | None = Query(
        None, ge=1, le=MAX_SEQ, description="page: records older than this seq"
    ),
    limit: int = Query(100, ge=1, le=MAX_QUERY_LIMIT),
) -> Response:
    key = api_key_of(request)
    if key is not None and key.tenants:
        if tenant is None and len(key.tenants) == 1:
            tenant = key.tenants[0]
        if tenant is None:
            raise ValidationFailed("query.tenant: required for a key bound to several tenants")
        require_tenant(request, tenant)
    records = await audit.query(
        since=_since(since), type=type, tenant=tenant, before_seq=before_seq, limit=limit
    )
    items = [r.to_dict() for r in records]
    more = len(records) == limit and records[-1].seq > 1
    return json_response({"items": items, "next_before_seq": records[-1].seq if more else None})


@router.get(
    "/audit/{audit_id}",
    summary="One audit record by id (operator)",
    responses={
        **ok(AuditRecordOut, RECORD_EXAMPLE),
        **problems({404: "No record with that id", 422: INVALID, 503: STORE_DOWN}),
    },
)
async def get_audit(audit_id: str, audit: AuditDep, request: Request) -> Response:
    record = await audit.get(audit_id)
    key = api_key_of(request)
    if record is not None and key is not None and key.tenants and record.tenant not in key.tenants:
        record = None  # a tenant-bound key sees only its tenants' records
    if record is None:
        raise NotFoundError(f"no audit record '{audit_id[:64]}'")
    return json_response(record.to_dict())
