"""Symphony's MCP tools: each a thin call into the service its REST twin uses.

| tool | REST twin | service |
|---|---|---|
| `plan` | POST /route/plan | `PlanFlow.plan` (audited, `route.plan` fact) |
| `execute` | POST /route/execute (stream: false) | `Executor.run` (ledger, audit, facts) |
| `models` | GET /models | `PlanningService.matrix` (the Model Matrix) |
| `health` | GET /status/health.json | `health_report` over the probe cache |
| `burndown` | GET /status/burndown.json | `PlanningService.burndown` |
| `incidents` | GET /incidents | `services.incidents` (registered only when present) |
| `audit_record` | GET /audit/{audit_id} | the audit log, with its tenant rule |

Each tool needs its twin's permission and applies the key's tenant binding, so a key
can do over MCP exactly what it can do over REST.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, Literal, Protocol, cast

from pydantic import BaseModel, ConfigDict, Field

from symphony.api.execute import ExecuteIn, to_execute_request
from symphony.api.schemas import PlanIn
from symphony.errors import NotFoundError, UnknownTenantError, ValidationFailed
from symphony.flows.health import health_report
from symphony.incidents.model import Incident
from symphony.mcp.caller import Caller
from symphony.mcp.tooling import ToolSpec
from symphony.security.roles import Permission
from symphony.services import Services

# The incidents tool needs what GET /incidents needs.
INCIDENTS_PERMISSION: Permission = "incidents.read"


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", title="NoArguments")


class TenantArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ModelsArguments")
    tenant: str = Field(
        "default",
        min_length=1,
        max_length=64,
        description="Tenant whose windows and quotas to show (a key bound to one tenant: it)",
    )


class AuditArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", title="AuditRecordArguments")
    audit_id: str = Field(
        ..., min_length=1, max_length=128, description="An audit id, e.g. aud_Qm9vYmFy…"
    )


class IncidentArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", title="IncidentsArguments")
    status: Literal["open", "resolved"] = Field("open", description="Which incidents to list")
    limit: int = Field(20, ge=1, le=200, description="At most this many, newest first")


class IncidentReader(Protocol):
    """What the incidents tool needs of the incident service."""

    def incidents(self, status: str | None = None, roadmap: bool = False) -> Sequence[Incident]:
        """Incidents, newest first."""
        ...


async def plan(services: Services, caller: Caller, body: PlanIn) -> dict[str, Any]:
    """Explain which model would run this work and why (audited like POST /route/plan)."""
    request = body.to_request(services.policy.snapshot.overrides_schema)
    work = await services.plans.plan(request, caller.actor)
    return work.to_dict()


async def execute(services: Services, caller: Caller, body: ExecuteIn) -> dict[str, Any]:
    """Plan and run the work once, non-streaming (as POST /route/execute with stream false)."""
    if body.stream:
        message = "the MCP execute tool answers once; leave `stream` out (or false)"
        field = {"path": "stream", "message": message}
        raise ValidationFailed(f"invalid arguments: stream: {message}", detail={"fields": [field]})
    schema = services.policy.snapshot.overrides_schema
    result = await services.executor.run(to_execute_request(body, schema, caller.actor))
    return result.to_dict()


async def models(services: Services, caller: Caller, args: TenantArgs) -> dict[str, Any]:
    """The Model Matrix for a tenant (as GET /models)."""
    snapshot = services.policy.snapshot
    if args.tenant not in snapshot.tenants:
        raise UnknownTenantError(f"unknown tenant '{args.tenant}'")
    return {"items": services.planning.matrix(args.tenant), "policy_version": snapshot.version}


async def health(services: Services, caller: Caller, args: NoArgs) -> dict[str, Any]:
    """Upstream health, policy and store status (as GET /status/health.json)."""
    store_ok = services.usage_store.ping()
    report = health_report(services.policy, services.health, store_ok, services.clock.now())
    report["integrations"] = services.incidents.integration_states()
    if services.planning.simulated_prefixes:  # demo mode, as REST
        report["simulator"] = services.planning.simulated_prefixes[0]
    return report


async def burndown(services: Services, caller: Caller, args: NoArgs) -> dict[str, Any]:
    """Requests, tokens and cost per model over the last minute, hour and day (a
    tenant-bound key: its tenants' usage only, as GET /status/burndown.json)."""
    return services.planning.burndown(None if caller.key is None else caller.key.tenant_scope)


async def audit_record(services: Services, caller: Caller, args: AuditArgs) -> dict[str, Any]:
    """One audit record; a tenant-bound key sees only its tenants' (as GET /audit/{id})."""
    record = await services.audit.get(args.audit_id)
    if record is not None and not caller.sees_tenant(record.tenant):
        record = None
    if record is None:
        raise NotFoundError(f"no audit record '{args.audit_id[:64]}'")
    return record.to_dict()


def incident_reader(services: Services) -> IncidentReader:
    """The incident service, or a NotFoundError saying this process has none."""
    found: object = getattr(services, "incidents", None)
    # `Services.incidents` may be the service itself or a bundle holding it (`.incidents`).
    for candidate in (found, getattr(found, "incidents", None)):
        if candidate is not None and callable(getattr(candidate, "incidents", None)):
            return cast(IncidentReader, candidate)
    raise NotFoundError("incidents are not enabled on this Symphony")


async def incidents(services: Services, caller: Caller, args: IncidentArgs) -> dict[str, Any]:
    """Incidents (open by default), newest first, with their tickets (not for a key bound to
    tenants: incidents describe the whole service, as GET /incidents)."""
    caller.unbound("incidents")
    items = incident_reader(services).incidents(args.status)
    return {
        "items": [i.to_dict() for i in items[: args.limit]],
        "total": len(items),
        "status": args.status,
    }


def has_incidents() -> bool:
    """True when Services carries an incident service (wired by the incidents work)."""
    return any(f.name == "incidents" for f in fields(Services))


TOOLS: tuple[ToolSpec[Any], ...] = (
    ToolSpec(
        name="plan",
        title="Explain a route",
        description=(
            "Which model Symphony would run this unit of work on, and why: the chosen model, "
            "its fallbacks, every candidate with its score factors and deny reasons, and the "
            "controls applied. Arguments are POST /route/plan's body (task, input, loa, "
            "tenant, env, overrides). Nothing runs; the plan is audited."
        ),
        args=PlanIn,
        permission="route.plan",
        run=plan,
    ),
    ToolSpec(
        name="execute",
        title="Execute a route",
        description=(
            "Plan and run a unit of work through Symphony (retries, fallbacks, cost guard) and "
            "return the answer with the model used, the audit id, latency and cost. Arguments "
            "are POST /route/execute's body (task, input or messages, loa, tenant, overrides, "
            "controls); the answer comes once (no streaming). Spends quota on the chosen model."
        ),
        args=ExecuteIn,
        permission="route.execute",
        run=execute,
        read_only=False,
        hidden_args=("stream",),
    ),
    ToolSpec(
        name="models",
        title="Model Matrix",
        description=(
            "Every model with its usage window (kind, remaining, cap, reset time, source), "
            "power windows, latency, price, kill state and whether it can run now."
        ),
        args=TenantArgs,
        permission="models.read",
        run=models,
    ),
    ToolSpec(
        name="health",
        title="Health",
        description="Upstream health (each provider's last probe), policy version, store state.",
        args=NoArgs,
        permission="status.read",
        run=health,
    ),
    ToolSpec(
        name="burndown",
        title="Burndown",
        description="Requests, tokens and cost per model over the last minute, hour and day, "
        "with each model's remaining quota.",
        args=NoArgs,
        permission="status.read",
        run=burndown,
    ),
    ToolSpec(
        name="audit_record",
        title="Audit record",
        description="One audit record by id (plan, execution, kill, policy change…), with its "
        "actor, tenant and hash-chain links. Needs an operator key.",
        args=AuditArgs,
        permission="audit.read",
        run=audit_record,
    ),
)
INCIDENTS_TOOL: ToolSpec[Any] = ToolSpec(
    name="incidents",
    title="Incidents",
    description="Incidents (open ones by default), newest first, with severity, SLO, ticket "
    "links and timeline.",
    args=IncidentArgs,
    permission=INCIDENTS_PERMISSION,
    run=incidents,
)


def tool_specs() -> tuple[ToolSpec[Any], ...]:
    """The tools this build serves (incidents only when Services has the service)."""
    return (*TOOLS, INCIDENTS_TOOL) if has_incidents() else TOOLS
