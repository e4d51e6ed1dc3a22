"""Status JSON read by agents and the Copilot context provider."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.status import Burndown, Health
from symphony.api.deps import (
    ClockDep,
    HealthDep,
    IncidentsDep,
    PlanningDep,
    PolicyDep,
    SharedStoresDep,
    UsageStoreDep,
)
from symphony.api.errors import json_response
from symphony.api.security import tenant_scope_of
from symphony.flows.health import health_report

router = APIRouter(tags=["status"])

HEALTH_EXAMPLE: dict[str, Any] = {
    "services": {
        "ollama": {
            "ok": True,
            "latency_ms": 3.1,
            "checked_at": "2026-11-22T17:00:00Z",
            "base_url": "http://127.0.0.1:11434/v1",
        },
        "litellm": {
            "ok": False,
            "latency_ms": None,
            "checked_at": "2026-11-22T17:00:00Z",
            "error": "connection refused",
            "base_url": "http://127.0.0.1:4000/v1",
        },
    },
    "policy_loaded": True,
    "policy_version": "f8ef309224ee3aea",
    "store": {"ok": True},
    "generated_at": "2026-11-22T17:00:01Z",
}
BURNDOWN_EXAMPLE: dict[str, Any] = {
    "generated_at": "2026-11-22T17:00:00Z",
    "windows": {
        k: {
            "anthropic/claude-pro": {
                "requests": 3,
                "tokens": 1840,
                "cost_usd": 0.0123,
                "cap": 45,
                "remaining": 42,
            }
        }
        for k in ("m1", "h1", "d1")
    },
}


@router.get(
    "/status/health.json",
    summary="Upstream health, policy and store status (answers from cache, never blocks)",
    responses=ok(Health, HEALTH_EXAMPLE),
)
async def health(
    policy: PolicyDep,
    health: HealthDep,
    usage_store: UsageStoreDep,
    clock: ClockDep,
    incidents: IncidentsDep,
    stores: SharedStoresDep,
    planning: PlanningDep,
) -> Response:
    report = health_report(policy, health, usage_store.ping(), clock.now(), stores.states)
    report["integrations"] = incidents.integration_states()
    if planning.simulated_prefixes:  # demo mode: where `symphony drill` injects its faults
        report["simulator"] = planning.simulated_prefixes[0]
    return json_response(report)


@router.get(
    "/status/burndown.json",
    summary="Requests, tokens and cost per model over the last minute, hour and day",
    responses=ok(Burndown, BURNDOWN_EXAMPLE),
)
async def burndown(planning: PlanningDep, request: Request) -> Response:
    # A tenant-bound key sees only its tenants' usage, on the models they may use.
    return json_response(planning.burndown(tenant_scope_of(request)))
