"""POST /route/plan: the explained routing decision."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from symphony.api.audit import record_plan
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
from symphony.api.deps import state_of
from symphony.api.errors import json_response
from symphony.api.schemas import PLAN_EXAMPLE, PlanIn
from symphony.api.security import require_tenant
from symphony.errors import NoEligibleModelError

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
    state = state_of(request)
    require_tenant(request, body.tenant)
    snapshot = state.policy.snapshot
    try:
        work = state.planning.plan(body.to_request(snapshot.overrides_schema))
    except NoEligibleModelError as exc:
        await record_plan(state, request, body.tenant, denied=exc)  # durable before the answer
        raise
    await record_plan(state, request, body.tenant, work)
    return json_response(work.to_dict())
