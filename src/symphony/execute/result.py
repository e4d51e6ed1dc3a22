"""The seed's output contract: answer, citations, controls, audit, tickets, logs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from symphony.execute.planning import PlannedWork
from symphony.execute.request import Attempt, ExecuteRequest
from symphony.providers.base import Usage
from symphony.routing.candidate import Candidate


@dataclass(slots=True)
class Outcome:
    work: PlannedWork
    audit_id: str
    tenant: str
    attempts: list[Attempt] = field(default_factory=list)
    candidate: Candidate | None = None
    answer: str = ""
    finish_reason: str | None = None
    stopped_reason: str | None = None
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    done: bool = False

    def add_cost(self, cost: float, usage: Usage) -> None:
        self.cost_usd += cost
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens

    def finish(
        self,
        candidate: Candidate,
        answer: str,
        finish_reason: str | None,
        stopped_reason: str | None = None,
    ) -> None:
        self.candidate = candidate
        self.answer = answer
        self.finish_reason = finish_reason
        self.stopped_reason = stopped_reason
        self.done = True

    @property
    def model(self) -> str | None:
        return None if self.candidate is None else self.candidate.name

    @property
    def fell_back(self) -> bool:
        primary = self.work.plan.primary
        return (
            self.candidate is not None
            and primary is not None
            and self.candidate.name != primary.name
        )


def _reason(outcome: Outcome) -> str:
    c = outcome.candidate
    if c is None:
        return "no candidate succeeded"
    if outcome.fell_back:
        failed = sorted({a.model for a in outcome.attempts if a.outcome == "error"})
        return f"fallback after {', '.join(failed)} failed; " + "; ".join(c.why[:2])
    return "; ".join(c.why[:3])


def build_result(
    outcome: Outcome,
    req: ExecuteRequest,
    latency_ms: float,
    redact: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    c = outcome.candidate
    work = outcome.work
    reason = _reason(outcome)
    model = {
        "id": c.name if c else None,
        "provider": c.spec.provider if c else None,
        "reason": reason,
    }
    controls = work.plan.controls
    audit = {
        "audit_id": outcome.audit_id,
        "plan_id": work.plan_id,
        "policy_version": work.snapshot.version,
        "latency_ms": round(latency_ms, 1),
        "cost_usd": round(outcome.cost_usd, 8),
        "model_usage": {
            "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens,
        },
        "attempts": [a.to_dict() for a in outcome.attempts],
        "stopped_reason": outcome.stopped_reason,
        "model": model["id"],
        "finish_reason": outcome.finish_reason,
    }
    primary_name = work.plan.primary.name if work.plan.primary else "none"
    logs = [
        f"plan {work.plan_id}: primary {primary_name},"
        f" fallbacks {', '.join(f.name for f in work.plan.fallbacks) or 'none'}"
    ]
    # A failed attempt's reason carries upstream text (errors may echo the prompt): mask
    # secrets/PII there. Successful attempts' reasons are our own finish-reason words, and
    # the plan line holds only ids and policy model names: nothing to mask, nothing to pay.
    for i, a in enumerate(outcome.attempts):
        why = a.reason[:160]
        if redact is not None and a.outcome != "ok":
            why = redact(why)
        logs.append(f"attempt {i + 1}: {a.model} {a.outcome} ({why})")
    return {
        "audit_id": outcome.audit_id,
        "latency_ms": round(latency_ms, 1),
        "answer": outcome.answer,
        "citations": [],
        "tickets": [],
        "logs": logs,
        "decision": {"model": model["id"], "provider": model["provider"], "reason": reason},
        "controls": {
            "model": model,
            "sampling": {
                "temperature": req.sampling.temperature
                if req.sampling.temperature is not None
                else controls.temperature,
                "top_p": req.sampling.top_p,
                "max_tokens": req.sampling.max_tokens or controls.tokens_max,
            },
            "cost_guard": {
                "usd_cap": req.cost_guard.usd_cap,
                "stop_on_cap": req.cost_guard.stop_on_cap,
            },
            "retry": {"max_attempts": req.retry.max_attempts, "backoff_s": req.retry.backoff_s},
            "safety": {"loa": controls.loa, "allow_hosted": controls.allow_hosted},
            "routing": controls.to_dict(),
        },
        "audit": audit,
    }
