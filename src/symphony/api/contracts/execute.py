"""POST /route/execute: the seed's output contract (execute/result.py) and its SSE events."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from symphony.api.contracts.base import Wire, absent, ref, sse_content
from symphony.api.contracts.plan import PlanControls

AttemptOutcome = Literal["ok", "error", "cost_cap", "killed", "cancelled", "refused", "deadline"]
StoppedReason = Literal["cost_cap", "killed", "upstream_error", "client_disconnected", "deadline"]


class ChosenModel(Wire):
    """The model that answered (`id` null when none did) and why it was chosen."""

    id: str | None
    provider: str | None
    reason: str


class ResultDecision(Wire):
    model: str | None
    provider: str | None
    reason: str


class SamplingApplied(Wire):
    temperature: float | None
    top_p: float | None
    max_tokens: int | None


class CostGuardApplied(Wire):
    usd_cap: float | None
    stop_on_cap: bool


class RetryApplied(Wire):
    max_attempts: int
    backoff_s: float


class SafetyApplied(Wire):
    loa: int
    allow_hosted: bool


class WebApplied(Wire):
    """The `web` controls used (only when the request sent `web`)."""

    allow: bool
    strategy: Literal["search", "visit", "scrape", "none"]
    urls: list[str]
    sources: list[str]
    domains_allow: list[str]
    max_docs: int
    citation_mode: Literal["url", "title", "hash"]
    max_age_s: float | None
    require: bool
    depth: int
    timeout_s: float
    cache_ttl_s: int
    respect_robots: Literal[True]


class Citation(Wire):
    """A web source the answer's prompt cited as [n]."""

    n: int
    title: str
    url: str
    hash: str = Field(description="sha256 of the document's extracted text")
    fetched_at: str
    document_id: str
    snapshot_id: str | None = Field(description="the signed snapshot of that fetch")
    quote: str = Field(description="the start of the best passage used (full text in logs)")


class ExecuteControls(Wire):
    """The control surface as applied to this run (the request's, filled with defaults)."""

    model: ChosenModel
    sampling: SamplingApplied
    cost_guard: CostGuardApplied
    retry: RetryApplied
    safety: SafetyApplied
    routing: PlanControls
    web: WebApplied | None = absent("present when the request sent `web`")


class ModelUsage(Wire):
    prompt_tokens: int
    completion_tokens: int


class AttemptRecord(Wire):
    """One call to one upstream: its outcome, HTTP status and reason."""

    model: str
    outcome: AttemptOutcome
    status: int | None
    latency_ms: float
    reason: str
    kind: str | None = Field(description="the provider error kind when outcome is 'error'")


class ExecuteAudit(Wire):
    """What the audit log records for this run (and its id)."""

    audit_id: str
    plan_id: str
    policy_version: str
    latency_ms: float
    cost_usd: float
    model_usage: ModelUsage
    attempts: list[AttemptRecord]
    stopped_reason: StoppedReason | None
    model: str | None
    finish_reason: str | None
    tool_calls: int | None = absent("tool calls in the answer, when there were any")
    tags: dict[str, str] | None = absent("`/v1`: the client's metadata and end user")


class ExecuteResult(Wire):
    """The answer plus everything that explains it: decision, controls, audit, logs."""

    audit_id: str
    latency_ms: float
    answer: str
    citations: list[Citation] = Field(
        description="the web sources put in the prompt (requests with `web`), numbered [n]"
    )
    tickets: list[Any] = Field(description="reserved: always empty today")
    logs: list[str]
    decision: ResultDecision
    controls: ExecuteControls
    audit: ExecuteAudit


class ModelEvent(Wire):
    """SSE `model`: a model started answering (attempts so far, this one included)."""

    model: str
    attempts: int


class DeltaEvent(Wire):
    """SSE `delta`: the next piece of the answer."""

    text: str


class FailedDetail(Wire):
    audit_id: str
    audit: ExecuteAudit


class FailedInfo(Wire):
    code: Literal["all_candidates_failed"]
    message: str
    detail: FailedDetail


class UpstreamFailedBody(Wire):
    """502: every candidate failed; `error.detail.audit.attempts` says how each one did."""

    error: FailedInfo


class StreamFailedInfo(Wire):
    code: str
    message: str
    detail: Any = absent("the error's structured context")


class StreamErrorEvent(Wire):
    """SSE `error`: the run failed after the stream began. A failure's detail is repeated
    beside `error` (`audit_id`, `audit` when every candidate failed)."""

    error: StreamFailedInfo
    audit_id: str | None = absent()
    audit: ExecuteAudit | None = absent()


STREAM = sse_content(
    {
        "model": ref(ModelEvent),
        "delta": ref(DeltaEvent),
        "result": ref(ExecuteResult),
        "error": ref(StreamErrorEvent),
    },
    "stream=true: `model` once a model answers, `delta` pieces, then `result` (or `error`)",
    example=(
        'event: model\r\ndata: {"model":"local/ollama","attempts":1}\r\n\r\n'
        'event: delta\r\ndata: {"text":"Hel"}\r\n\r\n'
        'event: delta\r\ndata: {"text":"lo!"}\r\n\r\n'
        'event: result\r\ndata: {"audit_id":"aud_Qm9vYmFyYmF6cXV4","answer":"Hello!", ...}\r\n\r\n'
    ),
)
