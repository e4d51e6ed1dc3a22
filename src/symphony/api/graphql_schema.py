"""The GraphQL schema: queries over models and windows, budgets and jobs; mutations to plan,
execute and enqueue. Every resolver uses the same services, validation (the REST bodies),
tenant checks and audit as its REST twin."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from enum import Enum
from typing import Any, TypeVar, cast

import strawberry
from graphql import GraphQLError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from strawberry.types import ExecutionContext, Info

from symphony.api.execute import ExecuteIn, to_execute_request
from symphony.api.graphql_types import (
    BudgetLine,
    ExecuteRequest,
    Execution,
    Incident,
    Job,
    JobRequest,
    JobState,
    JobSubmission,
    Model,
    Plan,
    PlanRecord,
    PlanRequest,
    TenantBudgets,
)
from symphony.api.incident_views import summary
from symphony.api.jobs import JobIn, job_body, visible_tenants
from symphony.api.schemas import PlanIn
from symphony.api.security import actor_of, require_service_wide, require_tenant
from symphony.errors import NotFoundError, SymphonyError, UnknownTenantError, ValidationFailed
from symphony.jobs.schedule import RunSpec
from symphony.services import Services
from symphony.store.jobs import JobState as StoredJobState


def _ctx(info: Info[Any, None]) -> tuple[Request, Services]:
    context: dict[str, Any] = info.context
    return context["request"], context["services"]


def _tenant(info: Info[Any, None], tenant: str) -> Services:
    request, services = _ctx(info)
    require_tenant(request, tenant)
    if tenant not in services.policy.snapshot.tenants:
        raise UnknownTenantError(f"unknown tenant '{tenant}'")
    return services


def _plain(value: Any) -> Any:
    """A strawberry input as plain data (enums by value, unset fields dropped)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        pairs = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        return {name: _plain(v) for name, v in pairs if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


M = TypeVar("M", bound=BaseModel)


def _valid(model: type[M], data: dict[str, Any], where: str) -> M:
    """Validate with the REST body; the error names each field like REST does."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = [
            {"path": ".".join([where, *(str(p) for p in e["loc"])]), "message": e["msg"]}
            for e in exc.errors()
        ]
        raise ValidationFailed(
            "; ".join(f"{f['path']}: {f['message']}" for f in fields), detail={"fields": fields}
        ) from None


@strawberry.type
class Query:
    @strawberry.field(description="The Model Matrix for a tenant: each model and its window")
    def models(self, info: Info[Any, None], tenant: str = "default") -> list[Model]:
        services = _tenant(info, tenant)
        return [Model.of(item) for item in services.planning.matrix(tenant)]

    @strawberry.field(description="Incidents, newest first (GET /incidents)")
    def incidents(
        self, info: Info[Any, None], status: str | None = None, limit: int = 100
    ) -> list[Incident]:
        request, services = _ctx(info)
        require_service_wide(request, "the incidents query")  # the whole service, as GET /incidents
        if status not in (None, "open", "resolved"):
            raise ValidationFailed(f"status: expected open or resolved, got '{status}'")
        found = services.incidents.services.incidents.incidents(status)[: max(1, min(limit, 1000))]
        out = []
        for incident in found:
            data = summary(incident)
            out.append(
                Incident(
                    id=incident.id,
                    title=incident.title,
                    severity=incident.severity,
                    status=incident.status,
                    source=incident.source,
                    slo=incident.slo,
                    level=incident.level,
                    opened_at=incident.opened_at.isoformat(),
                    updated_at=incident.updated_at.isoformat(),
                    resolved_at=None
                    if incident.resolved_at is None
                    else incident.resolved_at.isoformat(),
                    tickets=cast(Any, data["tickets"]),
                )
            )
        return out

    @strawberry.field(
        description="A tenant's recent plans, newest first: the chosen model and"
        " every denied candidate with its deny codes"
    )
    async def plans(
        self, info: Info[Any, None], tenant: str = "default", limit: int = 20
    ) -> list[PlanRecord]:
        services = _tenant(info, tenant)
        records = await services.audit.query(
            type="route.plan", tenant=tenant, limit=max(1, min(limit, 200))
        )
        return [
            PlanRecord(
                audit_id=r.id,
                at=r.at.isoformat(),
                outcome=r.payload.get("outcome", "planned"),
                plan_id=r.payload.get("plan_id"),
                model=r.payload.get("model"),
                fallbacks=list(r.payload.get("fallbacks", [])),
                denied=cast(Any, r.payload.get("denied", {})),
                policy_version=r.payload.get("policy_version"),
            )
            for r in records
        ]

    @strawberry.field(description="Budget lines of the tenants this key may see")
    def budgets(self, info: Info[Any, None], tenant: str | None = None) -> list[TenantBudgets]:
        request, services = _ctx(info)
        if tenant is not None:
            _tenant(info, tenant)
        names = [tenant] if tenant is not None else visible_tenants(request)
        return [
            TenantBudgets(tenant=name, lines=[BudgetLine(**line.to_dict()) for line in lines])
            for name, lines in services.budgets.lines(names).items()
        ]

    @strawberry.field(description="Jobs of the tenants this key may see, newest first")
    async def jobs(
        self,
        info: Info[Any, None],
        state: JobState | None = None,
        limit: int = 100,
    ) -> list[Job]:
        request, services = _ctx(info)
        stored = None if state is None else StoredJobState(state.value)
        found = await services.jobs.search(
            visible_tenants(request), stored, max(1, min(limit, 1000))
        )
        return [Job.of(job_body(j)) for j in found]

    @strawberry.field(description="One job (null when there is none this key may see)")
    async def job(self, info: Info[Any, None], id: strawberry.ID) -> Job | None:
        request, services = _ctx(info)
        try:
            found = await services.jobs.get(str(id), visible_tenants(request))
        except NotFoundError:
            return None
        return Job.of(job_body(found))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Plan (audited like POST /route/plan)")
    async def plan(self, info: Info[Any, None], request: PlanRequest) -> Plan:
        body = _valid(PlanIn, _plain(request), "request")
        services = _tenant(info, body.tenant)
        http, _ = _ctx(info)
        schema = services.policy.snapshot.overrides_schema
        work = await services.plans.plan(body.to_request(schema), actor_of(http))
        return Plan.of(work.to_dict())

    @strawberry.mutation(description="Plan and run the work (POST /route/execute, no stream)")
    async def execute(self, info: Info[Any, None], request: ExecuteRequest) -> Execution:
        body = _valid(ExecuteIn, _plain(request), "request")
        services = _tenant(info, body.tenant)
        http, _ = _ctx(info)
        req = to_execute_request(body, services.policy.snapshot.overrides_schema, actor_of(http))
        result = (await services.executor.run(req)).to_dict()
        return Execution(
            audit_id=result["audit_id"],
            answer=result["answer"],
            model=result["decision"]["model"],
            cost_usd=result["audit"]["cost_usd"],
            latency_ms=result["latency_ms"],
            result=cast(Any, result),
        )

    @strawberry.mutation(description="Queue a job (POST /jobs)")
    async def submit_job(self, info: Info[Any, None], job: JobRequest) -> JobSubmission:
        body = _valid(JobIn, _plain(job), "job")
        services = _tenant(info, body.request.tenant)
        http, _ = _ctx(info)
        actor = actor_of(http)
        work = to_execute_request(body.request, services.policy.snapshot.overrides_schema, actor)
        at = body.at.astimezone(UTC) if body.at else None
        spec = RunSpec(mode=body.run, at=at, cron=body.cron, tz=body.tz)
        found, created, why = await services.jobs.submit(
            work,
            spec,
            body.request.model_dump(mode="json", exclude_none=True),
            idempotency_key=body.idempotency_key,
            deadline=body.deadline,
            actor=actor,
        )
        return JobSubmission(
            created=created, reason=why if created else None, job=Job.of(job_body(found))
        )

    @strawberry.mutation(description="Cancel a queued job (DELETE /jobs/{id})")
    async def cancel_job(self, info: Info[Any, None], id: strawberry.ID) -> Job:
        request, services = _ctx(info)
        found = await services.jobs.cancel(str(id), actor_of(request), visible_tenants(request))
        return Job.of(job_body(found))


class Schema(strawberry.Schema):
    """Logs only unexpected errors: a refusal (SymphonyError) or an invalid query is the
    caller's answer, not a server problem."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [
            e
            for e in errors
            if e.original_error is not None and not isinstance(e.original_error, SymphonyError)
        ]
        super().process_errors(unexpected, execution_context)


schema = Schema(query=Query, mutation=Mutation)
