"""POST /route/execute: plan, run with retries/fallbacks/cost guard, answer in the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from symphony.api.accept import prefers_json
from symphony.api.contracts.base import content
from symphony.api.contracts.errors import (
    INVALID,
    STORE_DOWN,
    TENANT,
    NoEligibleModelBody,
    problem,
    problems,
)
from symphony.api.contracts.execute import STREAM, ExecuteResult, UpstreamFailedBody
from symphony.api.deps import services_of
from symphony.api.errors import json_response
from symphony.api.schemas import PLAN_EXAMPLE, OverridesIn, to_overrides
from symphony.api.security import actor_of, default_tenant, require_tenant
from symphony.errors import SymphonyError
from symphony.execute.request import (
    DEFAULT_TIMEOUT_S,
    MAX_DEADLINE_S,
    MIN_TIMEOUT_S,
    CostGuard,
    ExecuteRequest,
    RetryPolicy,
    Sampling,
    WebControls,
)
from symphony.execute.result import Finished, ModelStarted, TextDelta
from symphony.policy.model import OverridesSchema
from symphony.providers.base import ChatMessage
from symphony.routing.request import PlanRequest

router = APIRouter(tags=["execute"])


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"]
    content: str = Field(..., max_length=1_500_000)


class SamplingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)


class CostGuardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    usd_cap: float | None = Field(default=None, ge=0.0)
    stop_on_cap: bool = True


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_attempts: int = Field(default=2, ge=1, le=5)
    backoff_s: float = Field(default=0.25, ge=0.0, le=30.0)


class SafetyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    loa: int | None = Field(default=None, ge=0, le=10)
    allow_hosted: bool | None = None


class ControlsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sampling: SamplingIn | None = None
    cost_guard: CostGuardIn | None = None
    retry: RetryIn | None = None
    safety: SafetyIn | None = None
    timeout_s: float | None = Field(
        default=None,
        ge=MIN_TIMEOUT_S,
        le=MAX_DEADLINE_S,
        description="overall deadline in seconds: every attempt, retry, fallback and the"
        " stream end by then (default: the policy's defaults.timeout_s, else"
        " SYMPHONY_REQUEST_TIMEOUT_S, 300 s)",
    )
    attempt_timeout_s: float | None = Field(
        default=None,
        ge=MIN_TIMEOUT_S,
        le=600.0,
        description="per-attempt upstream timeout: a whole completion, or each silence in a"
        " stream (default 60 s; never past the overall deadline)",
    )


class WebIn(BaseModel):
    """Evidence-first execute: search the web corpus and cite what goes in the prompt."""

    model_config = ConfigDict(extra="forbid")
    allow: bool = True
    strategy: Literal["search", "visit", "scrape", "none"] | None = Field(
        None,
        description="search: the local corpus (default); visit/scrape: fetch `urls` first "
        "(Chromium / plain HTTP, every ingest rule applies) and cite only them; none: off",
    )
    urls: list[str] = Field(default_factory=list, max_length=20)
    search: bool | None = Field(None, description="shorthand: true = strategy search")
    query: str | None = Field(None, min_length=1, max_length=2000)
    sources: list[str] = Field(default_factory=list, max_length=20)
    domains_allow: list[str] = Field(default_factory=list, max_length=50)
    max_docs: int | None = Field(None, ge=1, le=20, description="documents cited at most (5)")
    max_citations: int | None = Field(None, ge=1, le=20, description="alias of max_docs")
    citation_mode: Literal["url", "title", "hash"] = "url"
    max_age_s: float | None = Field(None, gt=0, description="stricter than the policy's")
    require: bool = Field(False, description="409 no_fresh_evidence when nothing qualifies")
    depth: int = Field(0, ge=0, le=2)
    timeout_s: float = Field(45.0, ge=30, le=120)
    cache_ttl_s: int = Field(3600, ge=0, le=30 * 86_400)
    respect_robots: Literal[True] = Field(
        True, description="robots.txt is always respected; false is refused"
    )

    @model_validator(mode="after")
    def _consistent(self) -> WebIn:
        if self.search is False and self.strategy == "search":
            raise ValueError("search: false contradicts strategy: search")
        if self.strategy in ("visit", "scrape") and not self.urls:
            raise ValueError(f"strategy {self.strategy} needs `urls` (the pages to fetch)")
        if self.urls and self.strategy not in ("visit", "scrape"):
            raise ValueError("`urls` are fetched only with strategy visit or scrape")
        return self

    def to_controls(self) -> WebControls:
        strategy = self.strategy or ("none" if self.search is False else "search")
        return WebControls(
            allow=self.allow,
            strategy=strategy,
            urls=tuple(self.urls),
            query=self.query,
            sources=tuple(self.sources),
            domains_allow=tuple(d.lower() for d in self.domains_allow),
            max_docs=self.max_docs or self.max_citations or 5,
            citation_mode=self.citation_mode,
            max_age_s=self.max_age_s,
            require=self.require,
            depth=self.depth,
            timeout_s=self.timeout_s,
            cache_ttl_s=self.cache_ttl_s,
        )


class ExecuteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task": "qa",
                    "input": "say hello",
                    "loa": 1,
                    "stream": False,
                    "controls": {
                        "sampling": {"temperature": 0.2, "max_tokens": 256},
                        "cost_guard": {"usd_cap": 0.05, "stop_on_cap": True},
                        "retry": {"max_attempts": 2, "backoff_s": 0.25},
                    },
                }
            ]
        },
    )
    task: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    input: str | None = Field(default=None, max_length=1_500_000)
    messages: list[MessageIn] | None = Field(default=None, max_length=500)
    env: str | None = Field(default=None, max_length=32)
    loa: int = Field(default=1, ge=0, le=10)
    tenant: str = Field(default="default", min_length=1, max_length=64)
    overrides: OverridesIn | None = None
    stream: bool = False
    controls: ControlsIn | None = None
    web: WebIn | None = None

    @model_validator(mode="after")
    def _needs_text(self) -> ExecuteIn:
        if not self.input and not self.messages:
            raise ValueError("give `input` (text) or `messages` (chat list)")
        return self


INVALID_OR_NO_EVIDENCE = (
    f"{INVALID}; or `web.require` and no fresh enough evidence in the corpus "
    "(code no_fresh_evidence, naming the query, sources and age limit)"
)
RESULT_EXAMPLE: dict[str, Any] = {
    "audit_id": "aud_Qm9vYmFyYmF6cXV4",
    "latency_ms": 412.3,
    "answer": "Hello!",
    "citations": [],
    "tickets": [],
    "logs": [
        "plan pln_x: primary local/ollama, fallbacks none",
        "attempt 1: local/ollama ok (stop)",
    ],
    "decision": {
        "model": "local/ollama",
        "provider": "local",
        "reason": "local-first: no hosted spend; p95 ≈ 400 ms (class default)",
    },
    "controls": {
        "model": {"id": "local/ollama", "provider": "local", "reason": "local-first"},
        "sampling": {"temperature": 0.2, "top_p": None, "max_tokens": 256},
        "cost_guard": {"usd_cap": 0.05, "stop_on_cap": True},
        "retry": {"max_attempts": 2, "backoff_s": 0.25},
        "safety": {"loa": 1, "allow_hosted": True},
        "routing": PLAN_EXAMPLE["controls"],
    },
    "audit": {
        "audit_id": "aud_Qm9vYmFyYmF6cXV4",
        "plan_id": "pln_x",
        "policy_version": "f8ef309224ee3aea",
        "latency_ms": 412.3,
        "cost_usd": 0.0,
        "model_usage": {"prompt_tokens": 3, "completion_tokens": 2},
        "attempts": [
            {
                "model": "local/ollama",
                "outcome": "ok",
                "status": 200,
                "latency_ms": 410.2,
                "reason": "stop",
                "kind": None,
            }
        ],
        "stopped_reason": None,
        "model": "local/ollama",
        "finish_reason": "stop",
    },
}


def to_execute_request(
    body: ExecuteIn, schema: OverridesSchema, actor: str | None
) -> ExecuteRequest:
    overrides = to_overrides(body.overrides, schema)
    controls = body.controls or ControlsIn()
    safety = controls.safety or SafetyIn()
    if safety.loa is not None or safety.allow_hosted is not None:
        overrides = replace(
            overrides,
            loa=safety.loa if safety.loa is not None else overrides.loa,
            allow_hosted=safety.allow_hosted
            if safety.allow_hosted is not None
            else overrides.allow_hosted,
        )
    messages = (
        tuple(ChatMessage(m.role, m.content) for m in body.messages)
        if body.messages
        else (ChatMessage("user", body.input or ""),)
    )
    sampling = controls.sampling or SamplingIn()
    guard = controls.cost_guard or CostGuardIn()
    retry = controls.retry or RetryIn()
    return ExecuteRequest(
        plan=PlanRequest(
            task=body.task,
            input=body.input or "",
            loa=body.loa,
            tenant=body.tenant,
            env=body.env,
            overrides=overrides,
            prompt_chars=sum(len(m.content) for m in messages),
        ),
        messages=messages,
        stream=body.stream,
        sampling=Sampling(sampling.temperature, sampling.top_p, sampling.max_tokens),
        cost_guard=CostGuard(guard.usd_cap, guard.stop_on_cap),
        retry=RetryPolicy(retry.max_attempts, retry.backoff_s),
        timeout_s=controls.attempt_timeout_s or DEFAULT_TIMEOUT_S,
        deadline_s=controls.timeout_s,
        actor=actor,
        web=None if body.web is None else body.web.to_controls(),
    )


@router.post(
    "/route/execute",
    summary="Plan and run the work: retries, fallbacks, cost guard; stream=true answers as SSE",
    description=(
        "With `stream: false` the answer is one JSON `ExecuteResult`. With `stream: true` it"
        " follows `Accept`: `text/event-stream`, `*/*` or no Accept gets Server-Sent Events"
        " (`model`, `delta`..., then `result` or `error`); `Accept: application/json` gets"
        " the whole result as one JSON `ExecuteResult`, errors as JSON problems."
    ),
    responses={
        200: {
            "description": (
                "The result as JSON (`stream: false`, or `Accept: application/json`), or with"
                " `stream: true` as Server-Sent Events"
            ),
            "content": {**content(ExecuteResult, RESULT_EXAMPLE), **STREAM},
        },
        **problems(
            {403: TENANT, 404: "Unknown tenant", 422: INVALID_OR_NO_EVIDENCE, 503: STORE_DOWN}
        ),
        409: problem("No eligible model (full explanation)", NoEligibleModelBody),
        502: problem("Every candidate failed: each attempt with its reason", UpstreamFailedBody),
    },
)
async def route_execute(body: ExecuteIn, request: Request) -> Response:
    services = services_of(request)
    if "tenant" not in body.model_fields_set:  # a key bound to one tenant acts for it
        body = body.model_copy(update={"tenant": default_tenant(request)})
    require_tenant(request, body.tenant)
    executor = services.executor
    req = to_execute_request(body, services.policy.snapshot.overrides_schema, actor_of(request))
    if req.stream and prefers_json(request.headers.get("accept")):
        req = replace(req, stream=False)  # the client asked for one JSON document
    if not req.stream:
        return json_response((await executor.run(req)).to_dict())
    events = executor.stream(req)
    try:
        first = await anext(events)  # plan errors (409/404) surface as JSON, not mid-stream
    except StopAsyncIteration:
        first = None

    async def sse() -> AsyncIterator[ServerSentEvent]:
        try:
            item = first
            while item is not None:
                if isinstance(item, TextDelta):
                    yield ServerSentEvent(
                        data=orjson.dumps({"text": item.text}).decode(), event="delta"
                    )
                elif isinstance(item, ModelStarted):
                    yield ServerSentEvent(data=orjson.dumps(item.to_dict()).decode(), event="model")
                elif isinstance(item, Finished):
                    yield ServerSentEvent(
                        data=orjson.dumps(item.result.to_dict()).decode(), event="result"
                    )
                item = await anext(events, None)
        except SymphonyError as exc:
            yield ServerSentEvent(
                data=orjson.dumps(
                    {**exc.to_dict(), **(exc.detail if isinstance(exc.detail, dict) else {})}
                ).decode(),
                event="error",
            )
        finally:
            await events.aclose()

    return EventSourceResponse(sse(), ping=15, headers={"X-Accel-Buffering": "no"})
