"""An execute request after validation: the plan request plus the seed's control surface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from symphony.providers.base import NO_OPTIONS, ChatMessage
from symphony.providers.chat import ChatOptions
from symphony.routing.request import PlanRequest

DEFAULT_TIMEOUT_S = 60.0  # per attempt: a whole completion, or each silence in a stream
DEFAULT_DEADLINE_S = 300.0  # the whole execution: every attempt, retry, fallback and stream
MIN_TIMEOUT_S = 0.1  # below this no upstream can answer: refused (422), never 5e-324
MAX_DEADLINE_S = 3600.0


@dataclass(frozen=True, slots=True)
class Sampling:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class CostGuard:
    usd_cap: float | None = None
    stop_on_cap: bool = True


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 2  # per candidate
    backoff_s: float = 0.25
    max_retry_after_s: float = 5.0  # a longer Retry-After moves on to the next fallback


@dataclass(frozen=True, slots=True)
class ExecuteRequest:
    plan: PlanRequest
    messages: tuple[ChatMessage, ...]
    stream: bool = False
    sampling: Sampling = field(default_factory=Sampling)
    cost_guard: CostGuard = field(default_factory=CostGuard)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = DEFAULT_TIMEOUT_S
    deadline_s: float | None = None  # overall; None: the policy's defaults.timeout_s, else 300 s
    actor: str | None = None
    audit_id: str | None = None  # pre-allocated so streaming responses can name it up front
    options: ChatOptions = NO_OPTIONS  # tools, response format, n…: carried to the upstream
    tags: Mapping[str, str] | None = None  # the client's metadata, kept on the audit record


@dataclass(slots=True)
class Attempt:
    model: str
    outcome: str  # ok | error | cost_cap | killed | cancelled | refused (admission)
    status: int | None
    latency_ms: float
    reason: str
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "outcome": self.outcome,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 1),
            "reason": self.reason,
            "kind": self.kind,
        }
