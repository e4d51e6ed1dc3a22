"""GET /policy and POST /policy/reload."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from symphony.api.contracts.base import content, ok
from symphony.api.contracts.errors import STORE_DOWN, TENANT, problems
from symphony.api.contracts.policy import REJECTED, RELOADED, PolicyStatus, ReloadOutcome
from symphony.api.deps import PolicyDep, PolicyFlowDep
from symphony.api.errors import json_response
from symphony.api.security import require_unbound, tenant_scope_of
from symphony.flows.policy import policy_status

router = APIRouter(tags=["policy"])


@router.get(
    "/policy",
    summary="The loaded policy version, files and the last reload error",
    responses=ok(
        PolicyStatus,
        {
            "version": "f8ef309224ee3aea",
            "declared_version": "2",
            "loaded_at": "2026-11-22T17:00:00Z",
            "loaded_at_local": "2026-11-22T10:00:00-07:00",
            "timezone": "America/Denver",
            "files": ["config/router.policy.yml", "config/model.windows.yml"],
            "models": 10,
            "tenants": ["default"],
            "last_error": None,
            "last_error_at": None,
        },
    ),
)
async def get_policy(policy: PolicyDep, request: Request) -> Response:
    status = policy_status(policy)
    tenants = tenant_scope_of(request)
    if tenants is not None:  # a tenant-bound key sees only its tenants' names
        status["tenants"] = sorted(t for t in policy.snapshot.tenants if t in tenants)
    return json_response(status)


@router.post(
    "/policy/reload",
    summary="Re-read the policy files now (operator)",
    responses={
        **ok(ReloadOutcome, RELOADED),
        422: {
            "description": (
                "The files are invalid: the old policy stays; every error with file:line: path"
            ),
            "content": content(ReloadOutcome, REJECTED),
        },
        **problems({403: TENANT, 503: STORE_DOWN}),
    },
)
async def reload_policy(flow: PolicyFlowDep, request: Request) -> Response:
    require_unbound(request, "reloading the policy")
    result = await flow.areload("api")
    body = {
        "ok": result.ok,
        "changed": result.changed,
        "version": result.version,
        "errors": list(result.errors),
    }
    return json_response(body, 200 if result.ok else 422)
