"""Anthropic Messages wire format: auth headers, message body, SSE event sequence, errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from symphony.simulator.behave import anthropic_extras
from symphony.simulator.text import Completion, content_text
from symphony.simulator.wire import (
    LimitInfo,
    Parsed,
    Reply,
    as_int,
    json_response,
    sse_event,
)

PING = b'event: ping\ndata: {"type": "ping"}\n\n'
PING_EVERY = 16
_SERVER_ERRORS = {
    500: ("api_error", "Internal server error"),
    503: ("overloaded_error", "Overloaded"),
}


def error(status: int, type_: str, message: str) -> web.Response:
    """Anthropic's error envelope."""
    body = {"type": "error", "error": {"type": type_, "message": message}}
    return json_response(status, body)


def check_headers(headers: Mapping[str, str]) -> web.Response | None:
    """401 without `x-api-key`, 400 without `anthropic-version`, else None."""
    if not headers.get("x-api-key"):
        return error(401, "authentication_error", "x-api-key header is required")
    if not headers.get("anthropic-version"):
        return error(400, "invalid_request_error", "anthropic-version: header is required")
    return None


def models_list(names: list[str]) -> Any:
    """`GET /v1/models` body (Anthropic's paged list)."""
    data = [
        {"type": "model", "id": n, "display_name": n, "created_at": "2025-01-01T00:00:00Z"}
        for n in names
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def parse(body: Any) -> Parsed | web.Response:
    """Validate a Messages body; answer Anthropic's 400 shape when it is unusable."""
    if not isinstance(body, dict):
        return error(400, "invalid_request_error", "There was an issue with your request JSON.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return error(400, "invalid_request_error", "model: Field required")
    max_tokens = as_int(body.get("max_tokens"))
    if max_tokens is None:
        return error(400, "invalid_request_error", "max_tokens: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error(400, "invalid_request_error", "messages: Field required")
    chars = len(content_text(body.get("system")))
    last_user = ""
    for message in messages:
        if not isinstance(message, dict):
            continue
        text = content_text(message.get("content"))
        chars += len(text)
        if message.get("role") == "user":
            last_user = text
    return Parsed(
        model=model,
        stream=body.get("stream") is True,
        include_usage=True,
        last_user=last_user,
        prompt_chars=chars,
        max_tokens=max_tokens,
        extras=anthropic_extras(body),
    )


class AnthropicWire:
    """Render Anthropic messages, stream events and errors."""

    name = "anthropic"
    id_prefix = "msg_sim"
    serves = frozenset({"anthropic"})
    retry_after_on_429 = True

    def not_found(self, model: str) -> web.Response:
        return error(404, "not_found_error", f"model: {model}")

    def rate_limited(self, model: str, info: LimitInfo, headers: dict[str, str]) -> web.Response:
        unit = "requests" if info.kind == "requests" else "input tokens"
        cap = info.cap if info.cap is not None else 0
        message = (
            f"This request would exceed the rate limit for your organization of {cap} {unit} "
            f"per window for {model}. For details, refer to: "
            "https://docs.claude.com/en/api/rate-limits. You can see the response headers "
            "for current usage. Please reduce the prompt length or the maximum tokens "
            "requested, or try again later."
        )
        body = {"type": "error", "error": {"type": "rate_limit_error", "message": message}}
        return json_response(429, body, headers)

    def server_error(self, status: int) -> web.Response:
        type_, message = _SERVER_ERRORS.get(status, ("api_error", "Internal server error"))
        return error(status, type_, message)

    def invalid(self, message: str) -> web.Response:
        return error(400, "invalid_request_error", message)

    def no_credit(self) -> web.Response:
        message = "Your credit balance is too low to access the Anthropic API."
        return error(400, "invalid_request_error", message)

    @staticmethod
    def _stop(c: Completion) -> str:
        if c.tool_calls:
            return "tool_use"
        return "max_tokens" if c.truncated else "end_turn"

    def full(self, reply: Reply) -> bytes:
        c = reply.completion
        content: list[dict[str, Any]] = []
        if c.text or not c.tool_calls:
            content.append({"type": "text", "text": c.text})
        content.extend(
            {"type": "tool_use", "id": t.id, "name": t.name, "input": orjson.loads(t.arguments)}
            for t in c.tool_calls
        )
        return orjson.dumps(
            {
                "id": reply.id,
                "type": "message",
                "role": "assistant",
                "model": reply.model,
                "content": content,
                "stop_reason": self._stop(c),
                "stop_sequence": None,
                "usage": {
                    "input_tokens": c.prompt_tokens,
                    "output_tokens": c.completion_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            }
        )

    def events(self, reply: Reply) -> list[bytes]:
        c = reply.completion
        start = {
            "type": "message_start",
            "message": {
                "id": reply.id,
                "type": "message",
                "role": "assistant",
                "model": reply.model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": c.prompt_tokens, "output_tokens": 1},
            },
        }
        out = [sse_event("message_start", start)]
        block = 0
        if c.text or not c.tool_calls:
            out += [
                sse_event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                ),
                PING,
            ]
            for n, piece in enumerate(c.pieces, start=1):
                delta = {"type": "text_delta", "text": piece}
                out.append(
                    sse_event(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": 0, "delta": delta},
                    )
                )
                if n % PING_EVERY == 0:
                    out.append(PING)
            out.append(sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
            block = 1
        for call in c.tool_calls:
            tool = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
            out.append(
                sse_event(
                    "content_block_start",
                    {"type": "content_block_start", "index": block, "content_block": tool},
                )
            )
            for piece in call.pieces:
                delta = {"type": "input_json_delta", "partial_json": piece}
                out.append(
                    sse_event(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": block, "delta": delta},
                    )
                )
            out.append(
                sse_event("content_block_stop", {"type": "content_block_stop", "index": block})
            )
            block += 1
        out.append(
            sse_event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self._stop(c), "stop_sequence": None},
                    "usage": {
                        "input_tokens": c.prompt_tokens,
                        "output_tokens": c.completion_tokens,
                    },
                },
            )
        )
        out.append(sse_event("message_stop", {"type": "message_stop"}))
        return out
