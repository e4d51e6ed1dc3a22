"""GET /budgets: tenant budgets, spent and limit per line, and when each resets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.budgets import BudgetReport
from symphony.api.contracts.errors import TENANT, problems
from symphony.api.deps import BudgetsDep, ClockDep, PolicyDep
from symphony.api.errors import json_response
from symphony.api.jobs import visible_tenants
from symphony.api.security import require_tenant
from symphony.errors import UnknownTenantError

router = APIRouter(tags=["budgets"])

EXAMPLE: dict[str, Any] = {
    "generated_at": "2026-12-01T19:00:00Z",
    "tenants": [
        {
            "tenant": "acme",
            "lines": [
                {"key": "tenant:daily:usd", "scope": "tenant", "provider": None,
                 "period": "daily", "unit": "usd", "spent": 4.1, "limit": 5.0,
                 "fraction": 0.82, "exhausted": False, "resets_at": "2026-12-02T07:00:00Z"},
                {"key": "provider:openai:monthly:tokens", "scope": "provider",
                 "provider": "openai", "period": "monthly", "unit": "tokens",
                 "spent": 120000, "limit": 100000.0, "fraction": 1.2, "exhausted": True,
                 "resets_at": "2027-01-01T07:00:00Z"},
            ],
        }
    ],
}  # fmt: skip


@router.get(
    "/budgets",
    summary="Tenant budgets: spent, limit and reset per line (USD and tokens, per provider)",
    responses={**ok(BudgetReport, EXAMPLE), **problems({403: TENANT, 404: "Unknown tenant"})},
)
async def budgets(
    request: Request,
    watch: BudgetsDep,
    policy: PolicyDep,
    clock: ClockDep,
    tenant: Annotated[str | None, Query(max_length=64, description="one tenant only")] = None,
) -> Response:
    if tenant is not None:
        require_tenant(request, tenant)
        if tenant not in policy.snapshot.tenants:
            raise UnknownTenantError(f"unknown tenant '{tenant}'")
    names = [tenant] if tenant is not None else visible_tenants(request)
    lines = watch.lines(names)
    return json_response(
        {
            "generated_at": clock.now().isoformat().replace("+00:00", "Z"),
            "tenants": [
                {"tenant": name, "lines": [line.to_dict() for line in found]}
                for name, found in lines.items()
            ],
        }
    )
