"""What execution gives back: the typed `ExecuteResult` and the events of a stream.

`ExecuteResult.to_dict()` is the seed's output contract (answer, citations, controls,
audit, tickets, logs) exactly as `/route/execute` has always returned it; `audit.to_dict()`
is the body of the `route.execute` audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from symphony.execute.request import Attempt, CostGuard, RetryPolicy, Sampling
from symphony.providers.base import Usage
from symphony.providers.chat import Choice
from symphony.routing.request import Controls

__all__ = [
    "AppliedControls",
    "ExecuteAudit",
    "ExecuteEvent",
    "ExecuteResult",
    "Finished",
    "ModelChoice",
    "ModelStarted",
    "TextDelta",
    "ToolDelta",
]


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The model that answered (None when none did) and why it was chosen."""

    model: str | None
    provider: str | None
    reason: str

    def decision_dict(self) -> dict[str, Any]:
        """The result's `decision`: {model, provider, reason}."""
        return {"model": self.model, "provider": self.provider, "reason": self.reason}

    def control_dict(self) -> dict[str, Any]:
        """The result's `controls.model`: {id, provider, reason}."""
        return {"id": self.model, "provider": self.provider, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class AppliedControls:
    """The controls the work ran with: the request's, else the plan's."""

    model: ModelChoice
    sampling: Sampling
    cost_guard: CostGuard
    retry: RetryPolicy
    routing: Controls

    def to_dict(self) -> dict[str, Any]:
        """Serialise as the result's `controls`."""
        return {
            "model": self.model.control_dict(),
            "sampling": {
                "temperature": self.sampling.temperature,
                "top_p": self.sampling.top_p,
                "max_tokens": self.sampling.max_tokens,
            },
            "cost_guard": {
                "usd_cap": self.cost_guard.usd_cap,
                "stop_on_cap": self.cost_guard.stop_on_cap,
            },
            "retry": {"max_attempts": self.retry.max_attempts, "backoff_s": self.retry.backoff_s},
            "safety": {"loa": self.routing.loa, "allow_hosted": self.routing.allow_hosted},
            "routing": self.routing.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class ExecuteAudit:
    """What the audit trail records for one execution (numbers rounded as published)."""

    audit_id: str
    plan_id: str
    policy_version: str
    latency_ms: float  # rounded to 0.1 ms
    cost_usd: float  # rounded to 8 decimals
    usage: Usage  # summed over every attempt
    attempts: tuple[Attempt, ...]
    stopped_reason: str | None  # cost_cap | killed | upstream_error, None when it ran out
    model: str | None
    finish_reason: str | None
    tool_calls: int = 0  # tool calls in the answer
    tags: dict[str, str] | None = None  # the client's metadata and end user (`/v1`)

    def to_dict(self) -> dict[str, Any]:
        """Serialise as the result's `audit` (and the `route.execute` record's payload)."""
        extra: dict[str, Any] = {}
        if self.tool_calls:
            extra["tool_calls"] = self.tool_calls
        if self.tags:
            extra["tags"] = self.tags
        return extra | {
            "audit_id": self.audit_id,
            "plan_id": self.plan_id,
            "policy_version": self.policy_version,
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "model_usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
            },
            "attempts": [a.to_dict() for a in self.attempts],
            "stopped_reason": self.stopped_reason,
            "model": self.model,
            "finish_reason": self.finish_reason,
        }


@dataclass(frozen=True, slots=True)
class ExecuteResult:
    """The answer to one unit of work, with the decision, the controls and the audit."""

    audit_id: str
    latency_ms: float  # rounded to 0.1 ms
    answer: str
    logs: tuple[str, ...]
    decision: ModelChoice
    controls: AppliedControls
    audit: ExecuteAudit
    citations: tuple[dict[str, Any], ...] = ()
    tickets: tuple[dict[str, Any], ...] = ()
    choices: tuple[Choice, ...] = ()  # every choice with its tool calls (`/v1`)
    web: dict[str, Any] | None = None  # the web controls used (echoed as `controls.web`)

    def to_dict(self) -> dict[str, Any]:
        """Serialise as `/route/execute`'s JSON body (the output contract)."""
        controls = self.controls.to_dict()
        if self.web is not None:
            controls["web"] = self.web
        return {
            "audit_id": self.audit_id,
            "latency_ms": self.latency_ms,
            "answer": self.answer,
            "citations": list(self.citations),
            "tickets": list(self.tickets),
            "logs": list(self.logs),
            "decision": self.decision.decision_dict(),
            "controls": controls,
            "audit": self.audit.to_dict(),
        }


# --- the events of a stream (NamedTuples: one is made per delta on the hot path) ----------


class ModelStarted(NamedTuple):
    """A model started answering; `attempts` counts every attempt so far, this one included
    (no attempt follows once text flowed)."""

    model: str
    attempts: int

    def to_dict(self) -> dict[str, Any]:
        """Serialise as the `model` SSE event's data."""
        return {"model": self.model, "attempts": self.attempts}


class TextDelta(NamedTuple):
    """A piece of the answer (of choice `choice`, with its logprobs if asked for)."""

    text: str
    choice: int = 0
    logprobs: Any = None


class ToolDelta(NamedTuple):
    """A piece of tool call number `call`: `id` and `name` first, then `arguments`."""

    choice: int
    call: int
    id: str | None
    name: str | None
    arguments: str


class Finished(NamedTuple):
    """The last event: the same result `Executor.run` returns."""

    result: ExecuteResult


ExecuteEvent = ModelStarted | TextDelta | ToolDelta | Finished
