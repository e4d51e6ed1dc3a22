"""Typed dependencies: each route asks for the services it uses (`ExecutorDep`, `AuditDep`…).

The app keeps one `Services` on `app.state.symphony`. Hot-path routes read it with
`services_of(request)` instead of a dependency (FastAPI's dependency resolution costs
~100 µs a request; those routes take only `Request` plus their body).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.events.bus import EventBus
from symphony.execute.executor import Executor
from symphony.execute.planning import PlanningService
from symphony.flows.budgets import BudgetWatch
from symphony.flows.control import ControlFlow
from symphony.flows.incident_runtime import IncidentRuntime
from symphony.flows.observe import ObserveFlow
from symphony.flows.plans import PlanFlow
from symphony.flows.policy import PolicyFlow
from symphony.flows.web import WebFlow
from symphony.governance.governance import Governance
from symphony.jobs.service import JobService
from symphony.metrics.registry import Metrics
from symphony.policy.store import PolicyStore
from symphony.services import Services
from symphony.store.shared import SharedStores
from symphony.windows.ledger import UsageStore
from symphony.windows.service import WindowService


def services_of(request: Request) -> Services:
    """The process's Services, read directly (for hot-path routes and middleware)."""
    services: Services = request.app.state.symphony
    return services


# async: a sync dependency would make FastAPI hop to its threadpool on every request.
async def get_services(request: Request) -> Services:
    return services_of(request)


async def get_clock(request: Request) -> Clock:
    return services_of(request).clock


async def get_policy(request: Request) -> PolicyStore:
    return services_of(request).policy


async def get_windows(request: Request) -> WindowService:
    return services_of(request).windows


async def get_usage_store(request: Request) -> UsageStore:
    return services_of(request).usage_store


async def get_bus(request: Request) -> EventBus:
    return services_of(request).bus


async def get_metrics(request: Request) -> Metrics:
    return services_of(request).metrics


async def get_audit(request: Request) -> AuditSink:
    return services_of(request).audit


async def get_planning(request: Request) -> PlanningService:
    return services_of(request).planning


async def get_executor(request: Request) -> Executor:
    return services_of(request).executor


async def get_governance(request: Request) -> Governance:
    return services_of(request).governance


async def get_policy_flow(request: Request) -> PolicyFlow:
    return services_of(request).policy_flow


async def get_plans(request: Request) -> PlanFlow:
    return services_of(request).plans


async def get_control(request: Request) -> ControlFlow:
    return services_of(request).control


async def get_observations(request: Request) -> ObserveFlow:
    return services_of(request).observations


async def get_incidents(request: Request) -> IncidentRuntime:
    return services_of(request).incidents


async def get_jobs(request: Request) -> JobService:
    return services_of(request).jobs


async def get_budgets(request: Request) -> BudgetWatch:
    return services_of(request).budgets


async def get_web(request: Request) -> WebFlow:
    return services_of(request).web


async def get_health(request: Request) -> dict[str, dict[str, Any]]:
    return services_of(request).health


ServicesDep = Annotated[Services, Depends(get_services)]
ClockDep = Annotated[Clock, Depends(get_clock)]
PolicyDep = Annotated[PolicyStore, Depends(get_policy)]
WindowsDep = Annotated[WindowService, Depends(get_windows)]
UsageStoreDep = Annotated[UsageStore, Depends(get_usage_store)]
BusDep = Annotated[EventBus, Depends(get_bus)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
AuditDep = Annotated[AuditSink, Depends(get_audit)]
PlanningDep = Annotated[PlanningService, Depends(get_planning)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
GovernanceDep = Annotated[Governance, Depends(get_governance)]
PolicyFlowDep = Annotated[PolicyFlow, Depends(get_policy_flow)]
PlanFlowDep = Annotated[PlanFlow, Depends(get_plans)]
ControlDep = Annotated[ControlFlow, Depends(get_control)]
ObserveDep = Annotated[ObserveFlow, Depends(get_observations)]
IncidentsDep = Annotated[IncidentRuntime, Depends(get_incidents)]
JobsDep = Annotated[JobService, Depends(get_jobs)]
BudgetsDep = Annotated[BudgetWatch, Depends(get_budgets)]
WebDep = Annotated[WebFlow, Depends(get_web)]
HealthDep = Annotated[dict[str, dict[str, Any]], Depends(get_health)]


async def get_shared_stores(request: Request) -> SharedStores:
    return services_of(request).stores


SharedStoresDep = Annotated[SharedStores, Depends(get_shared_stores)]
