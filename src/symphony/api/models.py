"""The Model Matrix and window observations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.errors import INVALID, STORE_DOWN, TENANT, problems
from symphony.api.contracts.models import OBSERVED_EXAMPLE, MatrixRow, ModelMatrix, Observed
from symphony.api.deps import ClockDep, ObserveDep, PlanningDep, PolicyDep, WindowsDep
from symphony.api.errors import json_response
from symphony.api.schemas import ObservationIn
from symphony.api.security import actor_of, default_tenant, require_tenant, require_unbound
from symphony.errors import UnknownModelError, UnknownTenantError, ValidationFailed
from symphony.policy.store import PolicyStore

router = APIRouter(tags=["models"])

MATRIX_EXAMPLE: dict[str, Any] = {
    "items": [
        {
            "model": "google/gemini-pro",
            "provider": "google",
            "class": "hosted",
            "configured": True,
            "executable": True,
            "has_endpoint": True,
            "simulated": False,
            "window": {
                "model": "google/gemini-pro",
                "kind": "daily",
                "label": "daily 00:00 America/Los_Angeles",
                "unit": "requests",
                "open": True,
                "used": 12,
                "cap": 1000,
                "remaining": 988,
                "remaining_fraction": 0.988,
                "resets_at": "2026-11-23T08:00:00Z",
                "resets_at_local": "2026-11-23T01:00:00-07:00",
                "eta_seconds": 54000.0,
                "source": "configured",
                "reserve_hold": False,
                "burn_rate_per_hour": 3.0,
                "projected_depletion_at": None,
                "power_window_open": False,
                "next_power_window": {
                    "start": "2026-11-22T20:00:00Z",
                    "end": "2026-11-22T20:30:00Z",
                    "start_local": "2026-11-22T13:00:00-07:00",
                    "end_local": "2026-11-22T13:30:00-07:00",
                },
                "cooldown_until": None,
                "binding": "window",
                "closed_reason": None,
            },
            "schedule": {
                "power_window_open": False,
                "next": [
                    {
                        "start": "2026-11-22T20:00:00Z",
                        "end": "2026-11-22T20:30:00Z",
                        "start_local": "2026-11-22T13:00:00-07:00",
                        "end_local": "2026-11-22T13:30:00-07:00",
                    }
                ],
            },
            "learned": None,
            "latency_p95_ms": 820.0,
            "price": {"prompt": 1.25, "completion": 10.0, "unit": "USD per 1M tokens"},
            "loa_max": 1,
            "allow_tasks": ["analysis", "research", "vision", "qa"],
            "context_window": 1000000,
            "killed": None,
        }
    ],
    "policy_version": "f8ef309224ee3aea",
}


def _tenant(policy: PolicyStore, tenant: str) -> str:
    if tenant not in policy.snapshot.tenants:
        raise UnknownTenantError(f"unknown tenant '{tenant}'")
    return tenant


@router.get(
    "/models",
    summary="The Model Matrix: every model's window, schedule and price",
    responses={
        **ok(ModelMatrix, MATRIX_EXAMPLE),
        **problems({403: TENANT, 404: "Unknown tenant", 422: INVALID}),
    },
)
async def list_models(
    policy: PolicyDep,
    planning: PlanningDep,
    request: Request,
    tenant: str | None = Query(
        None,
        max_length=64,
        description="default: the key's tenant when it is bound to one, else 'default'",
    ),
) -> Response:
    tenant = tenant or default_tenant(request)
    require_tenant(request, tenant)
    return json_response(
        {
            "items": planning.matrix(_tenant(policy, tenant)),
            "policy_version": policy.snapshot.version,
        }
    )


@router.get(
    "/models/{name:path}",
    summary="One model's Model Matrix row",
    responses={
        **ok(MatrixRow, MATRIX_EXAMPLE["items"][0]),
        **problems({403: TENANT, 404: "Unknown model or tenant", 422: INVALID}),
    },
)
async def get_model(
    name: str,
    policy: PolicyDep,
    planning: PlanningDep,
    windows: WindowsDep,
    clock: ClockDep,
    request: Request,
    tenant: str | None = Query(
        None,
        max_length=64,
        description="default: the key's tenant when it is bound to one, else 'default'",
    ),
) -> Response:
    tenant = tenant or default_tenant(request)
    require_tenant(request, tenant)
    snapshot = policy.snapshot
    spec = snapshot.model(name)
    if spec is None:
        raise UnknownModelError(
            f"unknown model '{name}' (known: {', '.join(m.name for m in snapshot.models)})"
        )
    now = clock.now()
    ws = windows.state(snapshot, name, now, _tenant(policy, tenant))
    return json_response(planning.matrix_item(snapshot, spec, ws, now, tenant))


@router.post(
    "/windows/{name:path}/observe",
    summary="Feed a window observation (operator): reset instant, remaining, cap",
    responses={
        **ok(Observed, OBSERVED_EXAMPLE),
        **problems({403: TENANT, 404: "Unknown model", 422: INVALID, 503: STORE_DOWN}),
    },
)
async def observe(
    name: str, body: ObservationIn, observations: ObserveDep, request: Request
) -> Response:
    require_unbound(request, "observing a model's window")
    resets_at = body.resets_at
    if resets_at is not None and resets_at.tzinfo is None:
        message = "needs a UTC offset (e.g. 2026-11-22T20:00:00Z)"
        field = {"path": "body.resets_at", "message": message}
        raise ValidationFailed(f"{field['path']}: {message}", detail={"fields": [field]})
    learned, ws = await observations.observe(
        name,
        resets_at=resets_at,
        remaining=body.remaining,
        cap=body.cap,
        source=body.source,
        note=body.note,
        observation=body.model_dump(mode="json"),
        actor=actor_of(request),
    )
    return json_response({"model": name, "learned": learned.to_json(), "window": ws.to_dict()})
