"""OpenAI-compatible surface: /v1/chat/completions and /v1/models, with OpenAI's shapes."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response, StreamingResponse

from symphony.api.contracts.base import content, ref, request_body
from symphony.api.contracts.errors import STORE_DOWN, openai_problems
from symphony.api.contracts.openai import CHUNKS, ChatCompletion, ModelList
from symphony.api.deps import PolicyDep, services_of
from symphony.api.errors import Problem, error_body, error_response, field_path
from symphony.api.security import actor_of, require_tenant
from symphony.errors import SymphonyError
from symphony.execute.request import ExecuteRequest, Sampling
from symphony.execute.result import (
    ExecuteAudit,
    ExecuteEvent,
    ExecuteResult,
    Finished,
    ModelStarted,
    TextDelta,
)
from symphony.kit.ids import new_id
from symphony.providers.base import ChatMessage
from symphony.routing.request import Overrides, PlanRequest

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(
                str(part.get("text", "")) for part in self.content if isinstance(part, dict)
            )
        return self.content or ""


class ChatCompletionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str = Field(..., min_length=1, max_length=200)
    messages: list[ChatMessageIn] = Field(..., min_length=1, max_length=500)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    metadata: dict[str, str] | None = None


def openai_error(
    status: int,
    message: str,
    code: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error in OpenAI's dialect (every path here is under /v1)."""
    problem = Problem(status, code, message, param=param, headers=headers or {})
    return error_response(problem, router.prefix)


def _hints(request: Request, body: ChatCompletionIn) -> tuple[str | None, int, str]:
    meta = body.metadata or {}
    task = request.headers.get("x-symphony-task") or meta.get("task")
    loa_text = request.headers.get("x-symphony-loa") or meta.get("loa") or "1"
    tenant = request.headers.get("x-symphony-tenant") or meta.get("tenant") or "default"
    if not loa_text.isdigit():
        raise ValueError(f"x-symphony-loa must be an integer, got '{loa_text}'")
    return task, int(loa_text), tenant


def _completion(result: ExecuteResult, created: int) -> dict[str, Any]:
    audit = result.audit
    usage = audit.usage
    return {
        "id": f"chatcmpl-{result.audit_id}",
        "object": "chat.completion",
        "created": created,
        "model": audit.model,
        "system_fingerprint": audit.policy_version,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.answer},
                "logprobs": None,
                "finish_reason": _finish(audit),
            }
        ],
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        },
    }


def _finish(audit: ExecuteAudit) -> str:
    if audit.stopped_reason == "cost_cap":
        return "length"
    reason = audit.finish_reason
    return reason if reason in ("stop", "length", "content_filter", "tool_calls") else "stop"


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completions; model 'auto' lets the planner choose",
    responses={
        200: {
            "description": "The completion as JSON, or with stream=true as Server-Sent Events",
            "content": {
                **content(
                    ChatCompletion,
                    {
                        "id": "chatcmpl-aud_x",
                        "object": "chat.completion",
                        "created": 1795366800,
                        "model": "local/ollama",
                        "system_fingerprint": "f8ef309224ee3aea",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "Hello!"},
                                "logprobs": None,
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
                    },
                ),
                **CHUNKS,
            },
        },
        **openai_problems(
            {
                400: "Invalid request: malformed JSON, a field (named in `param`) or a header",
                403: "The key may not act for this tenant (or its role does not allow this)",
                404: "Unknown model (use 'auto' or one of /v1/models) or tenant",
                409: "No eligible model: every candidate was denied",
                502: "Every candidate failed",
                503: STORE_DOWN,
            }
        ),
    },
    openapi_extra={"requestBody": request_body(ChatCompletionIn)},
)
async def chat_completions(request: Request) -> Response:
    services = services_of(request)
    try:
        raw = orjson.loads(await request.body())
        body = ChatCompletionIn.model_validate(raw)
        task, loa, tenant = _hints(request, body)
    except orjson.JSONDecodeError as exc:
        return openai_error(400, f"request body is not valid JSON: {exc}", "invalid_json")
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = field_path(problem["loc"])
        return openai_error(400, f"{where}: {problem['msg']}", "invalid_request", where)
    except ValueError as exc:
        return openai_error(400, str(exc), "invalid_header", "x-symphony-loa")
    try:
        require_tenant(request, tenant)
    except SymphonyError as exc:
        return openai_error(exc.status, exc.message, exc.code, "x-symphony-tenant")
    snapshot = services.policy.snapshot
    pinned = None if body.model == "auto" else body.model
    if pinned is not None and snapshot.model(pinned) is None:
        return openai_error(
            404,
            f"The model '{pinned}' does not exist in Symphony's policy"
            " (use 'auto' or one of /v1/models)",
            "model_not_found",
            "model",
        )
    messages = tuple(
        ChatMessage(m.role if m.role in ("system", "user", "assistant") else "user", m.text())
        for m in body.messages
    )
    audit_id = new_id("aud")
    req = ExecuteRequest(
        plan=PlanRequest(
            task=task or "chat",
            loa=loa,
            tenant=tenant,
            overrides=Overrides(),
            prompt_chars=sum(len(m.content) for m in messages),
            pinned_model=pinned,
            enforce_task=task is not None or pinned is None,
        ),
        messages=messages,
        stream=body.stream,
        sampling=Sampling(
            body.temperature, body.top_p, body.max_completion_tokens or body.max_tokens
        ),
        actor=actor_of(request),
        audit_id=audit_id,
    )
    executor = services.executor
    created = int(time.time())
    try:
        if not body.stream:
            result = await executor.run(req)
            headers = {
                "x-symphony-audit-id": result.audit_id,
                "x-symphony-model": result.audit.model or "",
                "x-symphony-attempts": str(len(result.audit.attempts)),
            }
            return Response(
                orjson.dumps(_completion(result, created)),
                media_type="application/json",
                headers=headers,
            )
        events = executor.stream(req)
        first = await anext(events, None)
    except SymphonyError as exc:
        return openai_error(
            exc.status, exc.message, exc.code, headers={"x-symphony-audit-id": audit_id}
        )
    include_usage = bool((body.stream_options or {}).get("include_usage"))
    model, attempts = _started(first, pinned)
    return StreamingResponse(
        _chunks(events, first, audit_id, model, created, include_usage),
        media_type="text/event-stream",
        headers={
            "x-symphony-audit-id": audit_id,
            "x-symphony-model": model,
            "x-symphony-attempts": str(attempts),
            "cache-control": "no-store",
        },
    )


def _started(first: ExecuteEvent | None, pinned: str | None) -> tuple[str, int]:
    """The answering model and the attempts it took, known before the first byte is sent."""
    if isinstance(first, ModelStarted):
        return first.model, first.attempts
    if isinstance(first, Finished):  # an empty answer: no delta came first
        audit = first.result.audit
        return audit.model or pinned or "auto", len(audit.attempts)
    return pinned or "auto", 0


async def _chunks(
    events: AsyncGenerator[ExecuteEvent, None],
    first: ExecuteEvent | None,
    audit_id: str,
    model: str,
    created: int,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    cid = f"chatcmpl-{audit_id}"

    def chunk(
        delta: dict[str, Any],
        finish: str | None = None,
        usage: dict[str, Any] | None = None,
        choices: bool = True,
    ) -> bytes:
        payload: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
            if choices
            else [],
        }
        if include_usage:
            payload["usage"] = usage
        return b"data: " + orjson.dumps(payload) + b"\n\n"

    try:
        yield chunk({"role": "assistant", "content": ""})
        item = first
        while item is not None:
            if isinstance(item, TextDelta):
                yield chunk({"content": item.text})
            elif isinstance(item, Finished):
                audit = item.result.audit
                yield chunk({}, _finish(audit))
                if include_usage:
                    u = audit.usage
                    yield chunk(
                        {},
                        usage={
                            "prompt_tokens": u.prompt_tokens,
                            "completion_tokens": u.completion_tokens,
                            "total_tokens": u.prompt_tokens + u.completion_tokens,
                        },
                        choices=False,
                    )
            item = await anext(events, None)
        yield b"data: [DONE]\n\n"
    except SymphonyError as exc:
        body = error_body(Problem(exc.status, exc.code, exc.message), "openai")
        yield b"data: " + orjson.dumps(body) + b"\n\n"
    finally:
        await events.aclose()


@router.get(
    "/models",
    summary="OpenAI-compatible model list (policy models plus 'auto')",
    responses={
        200: {
            "description": "OK",
            "content": {
                "application/json": {
                    "schema": ref(ModelList),
                    "example": {
                        "object": "list",
                        "data": [
                            {"id": "auto", "object": "model", "created": 0, "owned_by": "symphony"},
                            {
                                "id": "local/ollama",
                                "object": "model",
                                "created": 0,
                                "owned_by": "local",
                            },
                        ],
                    },
                }
            },
        }
    },
)
async def list_models(policy: PolicyDep) -> Response:
    data = [{"id": "auto", "object": "model", "created": 0, "owned_by": "symphony"}]
    data += [
        {"id": m.name, "object": "model", "created": 0, "owned_by": m.provider}
        for m in policy.snapshot.models
        if m.executable
    ]
    return Response(orjson.dumps({"object": "list", "data": data}), media_type="application/json")
