"""OpenAI-compatible surface: /v1/chat/completions and /v1/models, with OpenAI's shapes."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response, StreamingResponse

from symphony.api.contracts.base import content, ok, ref, request_body
from symphony.api.contracts.errors import STORE_DOWN, openai_problems
from symphony.api.contracts.openai import CHUNKS, ChatCompletion, ModelCard, ModelList
from symphony.api.deps import PolicyDep, services_of
from symphony.api.errors import Problem, error_body, error_response, field_message
from symphony.api.openai_in import ChatCompletionIn, read_chat
from symphony.api.security import require_tenant
from symphony.api.v1_common import chat_execute_request, hints, param_of, v1_problem
from symphony.errors import SymphonyError
from symphony.execute.request import Sampling
from symphony.execute.result import (
    ExecuteAudit,
    ExecuteEvent,
    ExecuteResult,
    Finished,
    ModelStarted,
    TextDelta,
    ToolDelta,
)
from symphony.kit.ids import new_id
from symphony.policy.model import ModelSpec
from symphony.providers.base import Usage
from symphony.providers.chat import Choice

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
FINISH = frozenset({"stop", "length", "content_filter", "tool_calls"})
CUT = frozenset(
    {"upstream_error", "killed", "deadline"}
)  # the answer was cut off after text was sent


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


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def _finish(audit: ExecuteAudit, reason: str | None) -> str:
    if audit.stopped_reason == "cost_cap" or audit.stopped_reason in CUT:
        return "length"  # cut short: the answer is not whole
    return reason if reason in FINISH else "stop"


def _message(choice: Choice) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": choice.text if choice.text or not choice.tool_calls else None,
    }
    if choice.refusal is not None:
        message["refusal"] = choice.refusal
    if choice.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in choice.tool_calls
        ]
    return message


def _completion(result: ExecuteResult, created: int) -> dict[str, Any]:
    audit = result.audit
    return {
        "id": f"chatcmpl-{result.audit_id}",
        "object": "chat.completion",
        "created": created,
        "model": audit.model,
        "system_fingerprint": audit.policy_version,
        "choices": [
            {
                "index": c.index,
                "message": _message(c),
                "logprobs": c.logprobs,
                "finish_reason": _finish(audit, c.finish_reason),
            }
            for c in result.choices
        ],
        "usage": _usage(audit.usage),
    }


def _bad_request(exc: ValidationError) -> Response:
    problem = exc.errors()[0]
    where = param_of(problem["loc"])
    return openai_error(400, f"{where}: {field_message(problem)}", "invalid_request", where)


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
                400: "Invalid request: malformed JSON, a field (named in `param`) or a header;"
                " `context_length_exceeded` when the prompt is too long for every candidate;"
                " `unsupported_parameter` when no candidate's protocol can honour a field",
                403: "The key may not act for this tenant (or its role does not allow this)",
                404: "Unknown model (use 'auto' or one of /v1/models) or tenant",
                409: "No eligible model: every candidate was denied (the reasons are listed)",
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
        if not isinstance(raw, dict):
            return openai_error(400, "request body must be a JSON object", "invalid_request")
        body = ChatCompletionIn.model_validate(raw)
        hint = hints(request, body.metadata)
    except orjson.JSONDecodeError as exc:
        return openai_error(400, f"request body is not valid JSON: {exc}", "invalid_json")
    except ValidationError as exc:
        return _bad_request(exc)
    except ValueError as exc:
        return openai_error(
            400, str(exc), "invalid_header", getattr(exc, "header", "x-symphony-loa")
        )
    try:
        require_tenant(request, hint.tenant)
    except SymphonyError as exc:
        return openai_error(exc.status, exc.message, exc.code, "x-symphony-tenant")
    snapshot = services.policy.snapshot
    pinned = None if body.model == "auto" else body.model
    if pinned is not None:
        refused = _pinned_problem(snapshot.model(pinned), pinned, "chat")
        if refused is not None:
            return refused
    chat = read_chat(raw, body)
    audit_id = new_id("aud")
    req = chat_execute_request(
        request,
        hint,
        chat.messages,
        chat.options,
        chat.unknown,
        pinned=pinned,
        wire="openai",
        stream=body.stream,
        sampling=Sampling(
            body.temperature, body.top_p, body.max_completion_tokens or body.max_tokens
        ),
        audit_id=audit_id,
        tags=chat.metadata,
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
        problem = v1_problem(exc, {"x-symphony-audit-id": audit_id})
        return error_response(problem, router.prefix)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    model, attempts = started(first, pinned)
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


def _pinned_problem(spec: ModelSpec | None, pinned: str, kind: str) -> Response | None:
    """404 for a model the policy does not have, 400 for one of the other kind."""
    if spec is None:
        return openai_error(
            404,
            f"The model '{pinned}' does not exist in Symphony's policy"
            " (use 'auto' or one of /v1/models)",
            "model_not_found",
            "model",
        )
    if spec.kind != kind:
        other = "/v1/embeddings" if spec.kind == "embedding" else "/v1/chat/completions"
        return openai_error(
            400,
            f"The model '{pinned}' is a {spec.kind} model: use {other}",
            "model_not_supported",
            "model",
        )
    return None


def started(first: ExecuteEvent | None, pinned: str | None) -> tuple[str, int]:
    """The answering model and the attempts it took, known before the first byte is sent."""
    if isinstance(first, ModelStarted):
        return first.model, first.attempts
    if isinstance(first, Finished):  # an empty answer: no delta came first
        audit = first.result.audit
        return audit.model or pinned or "auto", len(audit.attempts)
    return pinned or "auto", 0


def cut_problem(result: ExecuteResult) -> Problem | None:
    """The error event for a stream cut off after text was sent (upstream reset, kill)."""
    audit = result.audit
    if audit.stopped_reason not in CUT:
        return None
    last = audit.attempts[-1] if audit.attempts else None
    if audit.stopped_reason == "killed":
        return Problem(
            503,
            "killed",
            f"the answer was cut off: the kill switch stopped {audit.model} mid-stream"
            f" (audit {result.audit_id})",
        )
    if audit.stopped_reason == "deadline":
        return Problem(
            504,
            "deadline_exceeded",
            f"the answer was cut off: the request's deadline passed mid-stream"
            f" (audit {result.audit_id})",
        )
    why = last.reason if last is not None else "the upstream failed"
    return Problem(
        502,
        "stream_interrupted",
        f"the answer was cut off: {audit.model} failed mid-stream ({why[:300]});"
        f" the text so far was sent (audit {result.audit_id})",
    )


async def _chunks(
    events: AsyncGenerator[ExecuteEvent, None],
    first: ExecuteEvent | None,
    audit_id: str,
    model: str,
    created: int,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    cid = f"chatcmpl-{audit_id}"
    opened: set[int] = set()

    def chunk(
        delta: dict[str, Any],
        finish: str | None = None,
        usage: dict[str, Any] | None = None,
        index: int | None = 0,
        logprobs: Any = None,
    ) -> bytes:
        payload: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [
                {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            ]
            if index is not None
            else [],
        }
        if include_usage:
            payload["usage"] = usage
        return b"data: " + orjson.dumps(payload) + b"\n\n"

    def role(index: int) -> bytes | None:
        if index in opened:
            return None
        opened.add(index)
        return chunk({"role": "assistant", "content": ""}, index=index)

    try:
        yield role(0) or b""
        item = first
        while item is not None:
            if isinstance(item, TextDelta):
                head = role(item.choice)
                if head is not None:
                    yield head
                yield chunk({"content": item.text}, index=item.choice, logprobs=item.logprobs)
            elif isinstance(item, ToolDelta):
                head = role(item.choice)
                if head is not None:
                    yield head
                yield chunk({"tool_calls": [_tool_piece(item)]}, index=item.choice)
            elif isinstance(item, Finished):
                result = item.result
                audit = result.audit
                for c in result.choices:
                    yield chunk({}, _finish(audit, c.finish_reason), index=c.index)
                if include_usage:
                    yield chunk({}, usage=_usage(audit.usage), index=None)
                cut = cut_problem(result)
                if cut is not None:  # no [DONE]: the answer is not whole
                    yield b"data: " + orjson.dumps(error_body(cut, "openai")) + b"\n\n"
                    return
            item = await anext(events, None)
        yield b"data: [DONE]\n\n"
    except SymphonyError as exc:
        body = error_body(v1_problem(exc), "openai")
        yield b"data: " + orjson.dumps(body) + b"\n\n"
    finally:
        await events.aclose()


def _tool_piece(item: ToolDelta) -> dict[str, Any]:
    piece: dict[str, Any] = {"index": item.call}
    if item.id is not None:
        piece["id"] = item.id
        piece["type"] = "function"
    function: dict[str, str] = {"arguments": item.arguments}
    if item.name is not None:
        function["name"] = item.name
    piece["function"] = function
    return piece


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
    data = [AUTO_CARD]
    data += [_card(m) for m in policy.snapshot.models if m.executable]
    return Response(orjson.dumps({"object": "list", "data": data}), media_type="application/json")


AUTO_CARD = {"id": "auto", "object": "model", "created": 0, "owned_by": "symphony"}


def _card(spec: ModelSpec) -> dict[str, Any]:
    return {"id": spec.name, "object": "model", "created": 0, "owned_by": spec.provider}


@router.get(
    "/models/{model_id:path}",
    summary="One model of /v1/models (ids contain '/', e.g. openai/gpt-4o)",
    responses={
        **ok(
            ModelCard,
            {"id": "local/ollama", "object": "model", "created": 0, "owned_by": "local"},
        ),
        **openai_problems({404: "No such model in the policy (or it cannot execute)"}),
    },
)
async def get_model(model_id: str, policy: PolicyDep) -> Response:
    if model_id == "auto":
        return Response(orjson.dumps(AUTO_CARD), media_type="application/json")
    spec = policy.snapshot.model(model_id)
    if spec is None or not spec.executable:
        return openai_error(
            404, f"The model '{model_id}' does not exist", "model_not_found", "model"
        )
    return Response(orjson.dumps(_card(spec)), media_type="application/json")
