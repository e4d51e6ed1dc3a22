"""POST /route/plan: the explained routing decision."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.errors import (
    INVALID,
    STORE_DOWN,
    TENANT,
    NoEligibleModelBody,
    problem,
    problems,
)
from symphony.api.contracts.plan import Plan
from symphony.api.deps import services_of
from symphony.api.errors import json_response
from symphony.api.schemas import PLAN_EXAMPLE, PlanIn
from symphony.api.security import actor_of, default_tenant, require_tenant

router = APIRouter(tags=["routing"])


@router.post(
    "/route/plan",
    summary="Explain which model would run this work and why",
    responses={
        **ok(Plan, PLAN_EXAMPLE),
        **problems({403: TENANT, 404: "Unknown tenant", 422: INVALID, 503: STORE_DOWN}),
        409: problem(
            "No eligible candidate: the full explanation, every candidate with its deny reasons",
            NoEligibleModelBody,
        ),
    },
)
async def route_plan(body: PlanIn, request: Request) -> Response:
    services = services_of(request)
    if "tenant" not in body.model_fields_set:  # a key bound to one tenant acts for it
        body = body.model_copy(update={"tenant": default_tenant(request)})
    require_tenant(request, body.tenant)
    schema = services.policy.snapshot.overrides_schema
    # Audited (durably) before the answer, also when every candidate is denied.
    work = await services.plans.plan(body.to_request(schema), actor_of(request))
    return json_response(work.to_dict())
