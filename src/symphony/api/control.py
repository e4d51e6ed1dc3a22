"""The kill switch: GET /control, POST /control/kill, POST /control/unkill (operator)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.control import ActiveKills, Killed, Unkilled
from symphony.api.contracts.errors import STORE_DOWN, problems
from symphony.api.deps import ControlDep
from symphony.api.errors import json_response
from symphony.api.security import actor_of

router = APIRouter(tags=["control"])

Scope = Literal["all", "tenant", "provider", "model"]
KILL_EXAMPLE: dict[str, Any] = {
    "kill": {"scope": "provider", "target": "anthropic", "reason": "incident 42: runaway spend",
             "actor": "ops-oncall", "at": "2026-11-22T17:00:00+00:00"},
    "active": [{"scope": "provider", "target": "anthropic", "reason": "incident 42: runaway spend",
                "actor": "ops-oncall", "at": "2026-11-22T17:00:00+00:00"}],
}  # fmt: skip


class KillIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"scope": "provider", "target": "anthropic", "reason": "incident 42"}]
        },
    )
    scope: Scope
    target: str | None = Field(None, min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=500)


class UnkillIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scope": "provider", "target": "anthropic"}]},
    )
    scope: Scope
    target: str | None = Field(None, min_length=1, max_length=200)
    reason: str | None = Field(None, max_length=500)


@router.get(
    "/control",
    summary="Active kills (operator)",
    responses=ok(ActiveKills, {"active": KILL_EXAMPLE["active"]}),
)
async def list_kills(control: ControlDep) -> Response:
    return json_response({"active": [k.to_dict() for k in control.active()]})


@router.post(
    "/control/kill",
    summary="Kill a scope now: plans deny it ('killed'), its streams stop (operator)",
    responses={
        **ok(Killed, KILL_EXAMPLE),
        **problems({422: "Unknown scope or target", 503: STORE_DOWN}),
    },
)
async def kill(body: KillIn, control: ControlDep, request: Request) -> Response:
    done = await control.kill(body.scope, body.target, body.reason, actor_of(request))
    return json_response(
        {"kill": done.to_dict(), "active": [k.to_dict() for k in control.active()]}
    )


@router.post(
    "/control/unkill",
    summary="Lift a kill (operator)",
    responses={
        **ok(Unkilled, {"unkilled": KILL_EXAMPLE["kill"], "active": []}),
        **problems(
            {
                404: "No active kill for that scope and target",
                422: "Invalid scope or target",
                503: STORE_DOWN,
            }
        ),
    },
)
async def unkill(body: UnkillIn, control: ControlDep, request: Request) -> Response:
    lifted = await control.unkill(body.scope, body.target, body.reason, actor_of(request))
    return json_response(
        {"unkilled": lifted.to_dict(), "active": [k.to_dict() for k in control.active()]}
    )
