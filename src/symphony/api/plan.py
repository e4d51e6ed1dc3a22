"""POST /route/plan: the explained routing decision."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from symphony.api.deps import services_of
from symphony.api.errors import json_response
from symphony.api.schemas import PLAN_EXAMPLE, PlanIn, example
from symphony.api.security import actor_of, require_tenant

router = APIRouter(tags=["routing"])


@router.post(
    "/route/plan",
    summary="Explain which model would run this work and why",
    responses={
        **example(PLAN_EXAMPLE),
        404: {"description": "Unknown tenant"},
        409: {
            "description": (
                "No eligible candidate: the full explanation, every candidate with its deny reasons"
            )
        },
        422: {"description": "Invalid body: field paths"},
    },
)
async def route_plan(body: PlanIn, request: Request) -> Response:
    services = services_of(request)
    require_tenant(request, body.tenant)
    schema = services.policy.snapshot.overrides_schema
    # Audited (durably) before the answer, also when every candidate is denied.
    work = await services.plans.plan(body.to_request(schema), actor_of(request))
    return json_response(work.to_dict())
