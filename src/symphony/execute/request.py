"""An execute request after validation: the plan request plus the seed's control surface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from symphony.providers.base import NO_OPTIONS, ChatMessage
from symphony.providers.chat import ChatOptions
from symphony.rag.context import CitationMode
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
class WebControls:
    """The request's `web` control surface (validated by the API)."""

    allow: bool = True
    strategy: Literal["search", "visit", "scrape", "none"] = "search"
    urls: tuple[str, ...] = ()  # fetched first (visit: Chromium; scrape: HTTP), then searched
    query: str | None = None  # what to search (default: the last user message)
    sources: tuple[str, ...] = ()  # policy source names (default: the whole corpus)
    domains_allow: tuple[str, ...] = ()
    max_docs: int = 5  # documents cited at most
    citation_mode: CitationMode = "url"
    max_age_s: float | None = None  # stricter freshness than the policy's
    require: bool = False  # refuse when nothing fresh enough is found
    depth: int = 0
    timeout_s: float = 45.0
    cache_ttl_s: int = 3600

    @property
    def active(self) -> bool:
        return self.allow and self.strategy != "none"

    def to_dict(self) -> dict[str, Any]:
        """The result's `controls.web`: the knobs used (robots.txt is always respected)."""
        return {
            "allow": self.allow,
            "strategy": self.strategy,
            "urls": list(self.urls),
            "sources": list(self.sources),
            "domains_allow": list(self.domains_allow),
            "max_docs": self.max_docs,
            "citation_mode": self.citation_mode,
            "max_age_s": self.max_age_s,
            "require": self.require,
            "depth": self.depth,
            "timeout_s": self.timeout_s,
            "cache_ttl_s": self.cache_ttl_s,
            "respect_robots": True,
        }


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
    web: WebControls | None = None  # web evidence asked for (execute/evidence.py)


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
