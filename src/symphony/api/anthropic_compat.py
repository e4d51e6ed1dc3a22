"""Anthropic-compatible surface: `POST /v1/messages` (Claude Code, the Anthropic SDKs).

The same planner, windows, accounting and audit as every other route; the answer is
translated back into Anthropic's message and stream events whatever model gave it. Keys
come as `x-api-key` (what the SDKs send) or a bearer token; errors use Anthropic's shape.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response, StreamingResponse

from symphony.api.anthropic_in import MessagesIn, read_messages
from symphony.api.contracts.anthropic import MESSAGE_EVENTS, AnthropicErrorBody, AnthropicMessage
from symphony.api.contracts.base import content, request_body
from symphony.api.contracts.errors import STORE_DOWN, problems
from symphony.api.deps import services_of
from symphony.api.errors import Problem, error_body, error_response, field_message
from symphony.api.openai_compat import cut_problem, started
from symphony.api.security import require_tenant
from symphony.api.v1_common import (
    chat_execute_request,
    hints,
    param_of,
    resolve_model,
    v1_problem,
)
from symphony.errors import SymphonyError
from symphony.execute.request import Sampling
from symphony.execute.result import (
    ExecuteEvent,
    ExecuteResult,
    Finished,
    TextDelta,
    ToolDelta,
)
from symphony.kit.ids import new_id
from symphony.providers.features import estimate_prompt

router = APIRouter(prefix="/v1", tags=["anthropic-compatible"])
PATH = "/v1/messages"
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
STOP["content_filter"] = "refusal"


def anthropic_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error in Anthropic's shape."""
    return error_response(Problem(status, "error", message, headers=headers or {}), PATH)


def _problem(exc: SymphonyError, audit_id: str) -> Problem:
    problem = v1_problem(exc, {"x-symphony-audit-id": audit_id})
    if problem.code == "context_length_exceeded":  # what Anthropic's clients look for
        return Problem(
            400, problem.code, f"prompt is too long: {problem.message}", headers=problem.headers
        )
    return problem


def _stop(result: ExecuteResult) -> str:
    audit = result.audit
    if audit.stopped_reason is not None:
        return "max_tokens"  # cut short: the answer is not whole
    return STOP.get(audit.finish_reason or "stop", "end_turn")


def _input(arguments: str) -> Any:
    try:
        value = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return {"_raw": arguments}  # what the model wrote was not JSON: keep it visible
    return value if isinstance(value, dict) else {"value": value}


def _message(result: ExecuteResult, model: str) -> dict[str, Any]:
    choice = result.choices[0]
    blocks: list[dict[str, Any]] = []
    if choice.text or not choice.tool_calls:
        blocks.append({"type": "text", "text": choice.text})
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": _input(c.arguments)}
        for c in choice.tool_calls
    ]
    usage = result.audit.usage
    return {
        "id": f"msg_{result.audit_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": _stop(result),
        "stop_sequence": None,
        "usage": {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens},
    }


@router.post(
    "/messages",
    summary="Anthropic-compatible Messages API; model 'auto' lets the planner choose",
    responses={
        200: {
            "description": "The message as JSON, or with stream=true Anthropic's SSE events",
            "content": {
                **content(
                    AnthropicMessage,
                    {
                        "id": "msg_aud_x",
                        "type": "message",
                        "role": "assistant",
                        "model": "anthropic/claude-pro",
                        "content": [{"type": "text", "text": "Hello!"}],
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "usage": {"input_tokens": 3, "output_tokens": 2},
                    },
                ),
                **MESSAGE_EVENTS,
            },
        },
        **problems(
            {
                400: "Invalid request (a field, a missing `anthropic-version`, a prompt too"
                " long for every candidate, a field no candidate's protocol can honour)",
                403: "The key may not act for this tenant",
                404: "Unknown model or tenant",
                409: "No eligible model: every candidate was denied (reasons in the message)",
                502: "Every candidate failed",
                503: STORE_DOWN,
            },
            AnthropicErrorBody,
        ),
    },
    openapi_extra={"requestBody": request_body(MessagesIn)},
)
async def messages(request: Request) -> Response:
    services = services_of(request)
    if not request.headers.get("anthropic-version"):
        return anthropic_error(400, "anthropic-version: header is required")
    try:
        raw = orjson.loads(await request.body())
        if not isinstance(raw, dict):
            return anthropic_error(400, "the request body must be a JSON object")
        body = MessagesIn.model_validate(raw)
        meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else None
        hint = hints(request, meta)
    except orjson.JSONDecodeError as exc:
        return anthropic_error(400, f"There was an issue with your request JSON: {exc}")
    except ValidationError as exc:
        problem = exc.errors()[0]
        return anthropic_error(400, f"{param_of(problem['loc'])}: {field_message(problem)}")
    except ValueError as exc:
        return anthropic_error(400, str(exc))
    try:
        require_tenant(request, hint.tenant)
    except SymphonyError as exc:
        return anthropic_error(exc.status, exc.message)
    snapshot = services.policy.snapshot
    pinned = None
    if body.model != "auto":
        spec = resolve_model(snapshot, body.model, "chat")
        if spec is None:
            return anthropic_error(
                404, f"model: {body.model} (not a chat model in Symphony's policy)"
            )
        pinned = spec.name
    read = read_messages(raw, body, {k.lower(): v for k, v in request.headers.items()})
    audit_id = new_id("aud")
    req = chat_execute_request(
        request,
        hint,
        read.messages,
        read.options,
        read.unknown,
        pinned=pinned,
        wire="anthropic",
        stream=body.stream,
        sampling=Sampling(body.temperature, body.top_p, body.max_tokens),
        audit_id=audit_id,
    )
    executor = services.executor
    try:
        if not body.stream:
            result = await executor.run(req)
            return Response(
                orjson.dumps(_message(result, result.audit.model or body.model)),
                media_type="application/json",
                headers={
                    "x-symphony-audit-id": result.audit_id,
                    "x-symphony-model": result.audit.model or "",
                    "x-symphony-attempts": str(len(result.audit.attempts)),
                },
            )
        events = executor.stream(req)
        first = await anext(events, None)
    except SymphonyError as exc:
        return error_response(_problem(exc, audit_id), PATH)
    model, attempts = started(first, pinned)
    prompt = estimate_prompt(read.messages, read.options)
    return StreamingResponse(
        _events(events, first, audit_id, model, prompt),
        media_type="text/event-stream",
        headers={
            "x-symphony-audit-id": audit_id,
            "x-symphony-model": model,
            "x-symphony-attempts": str(attempts),
            "cache-control": "no-store",
        },
    )


def _sse(event: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class _Blocks:
    """Anthropic's content blocks as the executor's deltas arrive: one open at a time."""

    def __init__(self) -> None:
        self.index = -1
        self.open: str | None = None  # "text" | "tool"
        self.call = -1

    def stop(self) -> list[bytes]:
        if self.open is None:
            return []
        self.open = None
        return [_sse("content_block_stop", {"type": "content_block_stop", "index": self.index})]

    def start(self, block: dict[str, Any], kind: str) -> list[bytes]:
        out = self.stop()
        self.index += 1
        self.open = kind
        out.append(
            _sse(
                "content_block_start",
                {"type": "content_block_start", "index": self.index, "content_block": block},
            )
        )
        return out

    def text(self, text: str) -> list[bytes]:
        out = [] if self.open == "text" else self.start({"type": "text", "text": ""}, "text")
        delta = {"type": "text_delta", "text": text}
        out.append(
            _sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": self.index, "delta": delta},
            )
        )
        return out

    def tool(self, item: ToolDelta) -> list[bytes]:
        out: list[bytes] = []
        if item.call != self.call or self.open != "tool":
            self.call = item.call
            block = {"type": "tool_use", "id": item.id or "", "name": item.name or "", "input": {}}
            out = self.start(block, "tool")
        if item.arguments:
            delta = {"type": "input_json_delta", "partial_json": item.arguments}
            out.append(
                _sse(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": self.index, "delta": delta},
                )
            )
        return out


async def _events(
    events: AsyncGenerator[ExecuteEvent, None],
    first: ExecuteEvent | None,
    audit_id: str,
    model: str,
    prompt_tokens: int,
) -> AsyncIterator[bytes]:
    message: dict[str, Any] = {
        "id": f"msg_{audit_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": prompt_tokens, "output_tokens": 0},
    }
    blocks = _Blocks()
    try:
        yield _sse("message_start", {"type": "message_start", "message": message})
        yield _sse("ping", {"type": "ping"})
        item = first
        while item is not None:
            if isinstance(item, TextDelta):
                if item.choice == 0:
                    for frame in blocks.text(item.text):
                        yield frame
            elif isinstance(item, ToolDelta):
                if item.choice == 0:
                    for frame in blocks.tool(item):
                        yield frame
            elif isinstance(item, Finished):
                result = item.result
                for frame in blocks.stop():
                    yield frame
                usage = result.audit.usage
                yield _sse(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": _stop(result), "stop_sequence": None},
                        "usage": {
                            "input_tokens": usage.prompt_tokens,
                            "output_tokens": usage.completion_tokens,
                        },
                    },
                )
                cut = cut_problem(result)
                if cut is not None:  # no message_stop: the answer is not whole
                    yield _sse("error", error_body(cut, "anthropic"))
                    return
                yield _sse("message_stop", {"type": "message_stop"})
            item = await anext(events, None)
    except SymphonyError as exc:
        yield _sse("error", error_body(v1_problem(exc), "anthropic"))
    finally:
        await events.aclose()
