"""Symphony's MCP resources: the policy summary and the operator runbook.

`symphony://policy` is what an agent needs to reason about routing: the loaded version,
models (class, tasks, LOA, price, context), routing rules, tenants, the override bounds
and active kills. A tenant-bound key sees only the tenants (and their rules) it may act
for. `symphony://runbook` is docs/runbook.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.resources import FunctionResource, Resource

from symphony.flows.policy import policy_status
from symphony.mcp.caller import Caller, current_caller
from symphony.services import Services

POLICY_URI = "symphony://policy"
RUNBOOK_URI = "symphony://runbook"
RUNBOOK_NAME = "runbook.md"


def policy_summary(services: Services, caller: Caller) -> dict[str, Any]:
    """The loaded policy, as much as `caller` may see."""
    snapshot = services.policy.snapshot
    tenants = [snapshot.tenants[name] for name in sorted(snapshot.tenants)]
    visible = {t.name for t in tenants if caller.may_tenant(t.name)}
    status = policy_status(services.policy)
    status["tenants"] = sorted(visible)
    schema = snapshot.overrides_schema
    return {
        "status": status,
        "models": [
            {
                "name": m.name,
                "provider": m.provider,
                "class": m.model_class,
                "allow_tasks": list(m.allow_tasks) or "all",
                "loa_max": m.loa_max,
                "context_window": m.context_window,
                "price_per_1m_tokens_usd": None
                if m.price is None
                else {"prompt": m.price.prompt, "completion": m.price.completion},
                "has_endpoint": m.endpoint is not None,
            }
            for m in snapshot.models
        ],
        "rules": [
            {
                "name": r.name,
                "task": r.task,
                "loa": r.loa,
                "tenant": r.tenant,
                "prefer": list(r.route.prefer),
                "fallback": list(r.route.fallback),
                "max_cost_usd": r.route.max_cost_usd,
            }
            for r in snapshot.routing_rules
            if r.tenant is None or r.tenant in visible
        ],
        "tenants": [
            {
                "name": t.name,
                "loa_max": t.loa_max,
                "allow_models": list(t.allow_models) or "all",
                "budgets": {"daily_usd": t.budgets.daily_usd, "monthly_usd": t.budgets.monthly_usd},
            }
            for t in tenants
            if t.name in visible
        ],
        "overrides_schema": {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(schema).items()
        },
        "kills": [kill.to_dict() for kill in services.killswitch.active()],
    }


def find_runbook(start: Path | None = None) -> Path | None:
    """docs/runbook.md of the source tree, or of the working directory (the Docker image)."""
    here = (start or Path(__file__)).resolve()
    for base in (*here.parents, Path.cwd()):
        candidate = base / "docs" / RUNBOOK_NAME
        if candidate.is_file():
            return candidate
    return None


def resources(services: Callable[[], Services], runbook: Path | None) -> list[Resource]:
    """The MCP resources, reading the process's Services at read time."""

    async def read_policy() -> str:
        summary = policy_summary(services(), current_caller())
        return orjson.dumps(summary, option=orjson.OPT_INDENT_2, default=str).decode()

    async def read_runbook() -> str:
        if runbook is None:
            raise ResourceError("the runbook (docs/runbook.md) is not installed with this Symphony")
        return await asyncio.to_thread(runbook.read_text, encoding="utf-8")

    return [
        FunctionResource.from_function(
            fn=read_policy,
            uri=POLICY_URI,
            name="policy",
            title="Routing policy summary",
            description="The loaded policy: version, models, routing rules, tenants, "
            "override bounds and active kills.",
            mime_type="application/json",
        ),
        FunctionResource.from_function(
            fn=read_runbook,
            uri=RUNBOOK_URI,
            name="runbook",
            title="Operator runbook",
            description="Symphony's operator runbook: keys, kill switch, approvals, audit "
            "verification, reload failures, incidents.",
            mime_type="text/markdown",
        ),
    ]
