"""The kill switch: GET /control, POST /control/kill, POST /control/unkill (operator)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.control import ActiveKills, Killed, Unkilled
from symphony.api.contracts.errors import STORE_DOWN, TENANT, problems
from symphony.api.deps import ControlDep
from symphony.api.errors import json_response
from symphony.api.security import actor_of, require_tenant, require_unbound, tenant_scope_of
from symphony.governance.killswitch import Kill

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


def _may_switch(request: Request, scope: str, target: str | None, verb: str) -> None:
    """The tenant wall on the kill switch: `all` is an unbound admin's; a provider or a
    model reaches every tenant (an unbound key's); a tenant-bound key switches only its own
    tenants."""
    if scope == "all":
        require_unbound(request, f"{verb} of scope 'all'", admin=True)
    elif scope == "tenant":
        if target is not None:
            require_tenant(request, target)
    else:
        require_unbound(request, f"{verb} of a {scope}")


def _visible(request: Request, kills: list[Kill]) -> list[dict[str, Any]]:
    tenants = tenant_scope_of(request)
    return [
        k.to_dict() for k in kills if tenants is None or k.scope != "tenant" or k.target in tenants
    ]


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
async def list_kills(control: ControlDep, request: Request) -> Response:
    return json_response({"active": _visible(request, control.active())})


@router.post(
    "/control/kill",
    summary="Kill a scope now: plans deny it ('killed'), its streams stop (operator)",
    responses={
        **ok(Killed, KILL_EXAMPLE),
        **problems({403: TENANT, 422: "Unknown scope or target", 503: STORE_DOWN}),
    },
)
async def kill(body: KillIn, control: ControlDep, request: Request) -> Response:
    _may_switch(request, body.scope, body.target, "a kill")
    done = await control.kill(body.scope, body.target, body.reason, actor_of(request))
    return json_response({"kill": done.to_dict(), "active": _visible(request, control.active())})


@router.post(
    "/control/unkill",
    summary="Lift a kill (operator)",
    responses={
        **ok(Unkilled, {"unkilled": KILL_EXAMPLE["kill"], "active": []}),
        **problems(
            {
                403: TENANT,
                404: "No active kill for that scope and target",
                422: "Invalid scope or target",
                503: STORE_DOWN,
            }
        ),
    },
)
async def unkill(body: UnkillIn, control: ControlDep, request: Request) -> Response:
    _may_switch(request, body.scope, body.target, "an unkill")
    lifted = await control.unkill(body.scope, body.target, body.reason, actor_of(request))
    return json_response(
        {"unkilled": lifted.to_dict(), "active": _visible(request, control.active())}
    )
