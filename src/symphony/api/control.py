"""The kill switch: GET /control, POST /control/kill, POST /control/unkill (operator)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.control import ActiveKills, Killed, Unkilled
from symphony.api.contracts.errors import STORE_DOWN, problems
from symphony.api.deps import StateDep
from symphony.api.errors import json_response
from symphony.api.execute import actor_of
from symphony.api.state import AppState
from symphony.errors import NotFoundError, ValidationFailed
from symphony.governance.killswitch import KillSwitch

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


def switch(state: AppState) -> KillSwitch:
    found: KillSwitch = state.extras["killswitch"]
    return found


def check_target(state: AppState, scope: str, target: str | None) -> str | None:
    """Refuse targets the policy does not know (a typo must not silently kill nothing)."""
    if scope == "all":
        if target is not None:
            raise _field_error("body.target", "must be omitted when scope is 'all'")
        return None
    if target is None:
        raise _field_error("body.target", f"is required when scope is '{scope}'")
    snapshot = state.policy.snapshot
    known: set[str] = {
        "model": set(snapshot.models_by_name),
        "provider": {m.provider for m in snapshot.models},
        "tenant": set(snapshot.tenants),
    }[scope]
    if target not in known:
        raise _field_error(
            "body.target", f"unknown {scope} '{target}' (known: {', '.join(sorted(known))})"
        )
    return target


def _field_error(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{path}: {message}", detail={"fields": [{"path": path, "message": message}]}
    )


@router.get(
    "/control",
    summary="Active kills (operator)",
    responses=ok(ActiveKills, {"active": KILL_EXAMPLE["active"]}),
)
async def list_kills(state: StateDep) -> Response:
    return json_response({"active": [k.to_dict() for k in switch(state).active()]})


@router.post(
    "/control/kill",
    summary="Kill a scope now: plans deny it ('killed'), its streams stop (operator)",
    responses={
        **ok(Killed, KILL_EXAMPLE),
        **problems({422: "Unknown scope or target", 503: STORE_DOWN}),
    },
)
async def kill(body: KillIn, state: StateDep, request: Request) -> Response:
    target = check_target(state, body.scope, body.target)
    actor = actor_of(request)
    ks = switch(state)
    done = await asyncio.to_thread(ks.kill, body.scope, target, body.reason, actor)
    payload = done.to_dict()
    audit = state.extras.get("audit")
    if audit is not None:
        await audit.append("control.kill", payload, actor=actor, tenant=_tenant(payload))
    state.bus.publish("control.kill", payload)
    return json_response({"kill": payload, "active": [k.to_dict() for k in ks.active()]})


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
async def unkill(body: UnkillIn, state: StateDep, request: Request) -> Response:
    ks = switch(state)
    target = None if body.scope == "all" else body.target
    if body.scope != "all" and target is None:
        raise _field_error("body.target", f"is required when scope is '{body.scope}'")
    lifted = await asyncio.to_thread(ks.unkill, body.scope, target)
    if lifted is None:
        what = "everything" if body.scope == "all" else f"{body.scope} '{target}'"
        raise NotFoundError(f"no active kill for {what}")
    actor = actor_of(request)
    payload = {
        "scope": lifted.scope, "target": lifted.to_dict()["target"], "reason": body.reason,
        "actor": actor, "kill": lifted.to_dict(),
    }  # fmt: skip
    audit = state.extras.get("audit")
    if audit is not None:
        await audit.append("control.unkill", payload, actor=actor, tenant=_tenant(payload))
    state.bus.publish("control.unkill", payload)
    return json_response(
        {"unkilled": lifted.to_dict(), "active": [k.to_dict() for k in ks.active()]}
    )


def _tenant(payload: dict[str, Any]) -> str | None:
    return payload["target"] if payload["scope"] == "tenant" else None
