"""A validated unit of work (ExecuteRequest) as JSON, so a job survives a restart exactly."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from symphony.execute.request import CostGuard, ExecuteRequest, RetryPolicy, Sampling
from symphony.providers.base import ChatMessage
from symphony.routing.request import Overrides, PlanRequest

_TUPLES = ("tools_allowed", "provider_hints")
_PLAN_TUPLES = ("requires", "fields")


def encode(req: ExecuteRequest) -> dict[str, Any]:
    """The parts of an execute request a job carries (text chat: what `/route/execute` takes)."""
    plan = asdict(req.plan)
    return {
        "plan": plan,
        "messages": [[m.role, m.content] for m in req.messages],
        "sampling": asdict(req.sampling),
        "cost_guard": asdict(req.cost_guard),
        "retry": asdict(req.retry),
        "timeout_s": req.timeout_s,
        "actor": req.actor,
    }


def decode(body: dict[str, Any], audit_id: str | None = None) -> ExecuteRequest:
    """The execute request `encode` stored (a fresh `audit_id` per run)."""
    plan = dict(body["plan"])
    overrides = dict(plan.pop("overrides"))
    for name in _TUPLES:
        if overrides.get(name) is not None:
            overrides[name] = tuple(overrides[name])
    for name in _PLAN_TUPLES:
        plan[name] = tuple(plan.get(name) or ())
    return ExecuteRequest(
        plan=PlanRequest(**plan, overrides=Overrides(**overrides)),
        messages=tuple(ChatMessage(role, content) for role, content in body["messages"]),
        stream=False,
        sampling=Sampling(**body["sampling"]),
        cost_guard=CostGuard(**body["cost_guard"]),
        retry=RetryPolicy(**body["retry"]),
        timeout_s=body["timeout_s"],
        actor=body.get("actor"),
        audit_id=audit_id,
    )
