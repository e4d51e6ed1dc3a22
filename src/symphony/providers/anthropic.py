"""Anthropic Messages API (``/v1/messages``), non-streaming and SSE streaming."""

from __future__ import annotations

from typing import Any, Final

import orjson

from symphony.providers.adapter import (
    HttpAdapter,
    InBandError,
    MalformedResponse,
    as_int,
    error_object,
    loads,
    text_of,
)
from symphony.providers.base import ChatMessage, ChatRequest, StreamEvent, StreamToolCall, Usage
from symphony.providers.chat import Choice, Part, ToolCall, ToolChoice, data_url
from symphony.providers.errors import ErrorKind
from symphony.providers.sse import SseEvent

__all__ = [
    "ANTHROPIC_VERSION",
    "DEFAULT_MAX_TOKENS",
    "JSON_TOOL",
    "AnthropicProvider",
    "anthropic_body",
]

ANTHROPIC_VERSION: Final = "2023-06-01"
# The API requires max_tokens: sent only when neither the client, the model's policy
# `max_tokens` nor its `max_output_tokens` gives one (docs/policy.md).
DEFAULT_MAX_TOKENS: Final = 4096
# JSON mode on the Messages API: one forced tool whose input schema is the response format.
JSON_TOOL: Final = "symphony_json_response"

_FINISH: Final = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_USAGE_KEYS: Final = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
_CONTEXT_PHRASES: Final = (
    "prompt is too long",
    "context limit",
    "context window",
    "context length",
)
_POLICY_PHRASES: Final = ("content filtering policy", "content policy")
_INBAND_KINDS: Final[dict[str, ErrorKind]] = {
    "overloaded_error": "rate_limited",
    "rate_limit_error": "rate_limited",
    "api_error": "unavailable",
    "timeout_error": "timeout",
    "authentication_error": "auth",
    "permission_error": "auth",
    "invalid_request_error": "bad_request",
    "not_found_error": "bad_request",
    "request_too_large": "bad_request",
}


def _finish(reason: Any) -> str | None:
    if not isinstance(reason, str) or not reason:
        return None
    return _FINISH.get(reason, reason.lower())


class _UsageCounts:
    """Anthropic usage: counts are cumulative, so each report replaces, never adds."""

    __slots__ = ("_counts",)

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def merge(self, usage: Any) -> bool:
        if not isinstance(usage, dict):
            return False
        for key in _USAGE_KEYS:
            if key in usage and usage[key] is not None:
                self._counts[key] = as_int(usage[key])
        return True

    def total(self) -> Usage:
        c = self._counts
        prompt = (
            c.get("input_tokens", 0)
            + c.get("cache_creation_input_tokens", 0)
            + c.get("cache_read_input_tokens", 0)
        )
        return Usage(prompt_tokens=prompt, completion_tokens=c.get("output_tokens", 0))


def _json_args(value: Any) -> str:
    return orjson.dumps(value if value is not None else {}).decode()


class _AnthropicStream:
    __slots__ = (
        "_blocks",
        "_calls",
        "_counts",
        "done",
        "finish_reason",
        "pending",
        "usage",
    )

    def __init__(self) -> None:
        self._counts = _UsageCounts()
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False
        self.pending: list[StreamEvent] = []
        self._blocks: dict[int, int] = {}  # content block index -> tool ordinal (-1: JSON mode)
        self._calls: list[list[str]] = []  # id, name, arguments

    def feed(self, event: SseEvent) -> str | None:
        msg = loads(event.data)
        if not isinstance(msg, dict):
            raise MalformedResponse("stream event is not a JSON object")
        kind = msg.get("type") or event.event
        if kind == "content_block_delta":
            delta = msg.get("delta")
            if not isinstance(delta, dict):
                return None
            if delta.get("type") == "text_delta":
                return text_of(delta, "text") or None
            if delta.get("type") == "input_json_delta":
                return self._tool_piece(msg.get("index"), text_of(delta, "partial_json"))
            return None  # thinking and signatures: not answer text
        if kind == "content_block_start":
            block = msg.get("content_block")
            if isinstance(block, dict) and block.get("type") == "text":
                return text_of(block, "text") or None
            if isinstance(block, dict) and block.get("type") == "tool_use":
                self._tool_start(msg.get("index"), block)
        elif kind == "message_start":
            message = msg.get("message")
            if isinstance(message, dict) and self._counts.merge(message.get("usage")):
                self.usage = self._counts.total()
        elif kind == "message_delta":
            delta = msg.get("delta")
            if isinstance(delta, dict):
                self.finish_reason = _finish(delta.get("stop_reason")) or self.finish_reason
            if self._counts.merge(msg.get("usage")):
                self.usage = self._counts.total()
        elif kind == "message_stop":
            self.done = True
            if self.finish_reason == "tool_calls" and not self._calls:
                self.finish_reason = "stop"  # only the JSON-mode tool was used
        elif kind == "error":
            raise InBandError(msg)
        return None  # ping, content_block_stop, and event types added later

    def _tool_start(self, index: Any, block: dict[str, Any]) -> None:
        name = text_of(block, "name")
        if not isinstance(index, int):
            return
        if name == JSON_TOOL:
            self._blocks[index] = -1
            return
        ordinal = len(self._calls)
        self._blocks[index] = ordinal
        call_id = text_of(block, "id")
        self._calls.append([call_id, name, ""])
        self.pending.append(StreamToolCall(0, ordinal, call_id, name, ""))

    def _tool_piece(self, index: Any, piece: str) -> str | None:
        ordinal = self._blocks.get(index) if isinstance(index, int) else None
        if ordinal is None or not piece:
            return None
        if ordinal < 0:
            return piece  # JSON mode: the forced tool's input is the answer
        self._calls[ordinal][2] += piece
        self.pending.append(StreamToolCall(0, ordinal, None, None, piece))
        return None

    def choices(self, text: str) -> tuple[Choice, ...]:
        calls = tuple(ToolCall(id=c[0], name=c[1], arguments=c[2] or "{}") for c in self._calls)
        return (Choice(0, text, self.finish_reason, calls),)


def _image(part: Part) -> dict[str, Any]:
    inline = data_url(part.url)
    if inline is not None:
        media, data = inline
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": part.url}}


def _blocks(m: ChatMessage) -> list[dict[str, Any]]:
    if m.role == "tool":
        return [{"type": "tool_result", "tool_use_id": m.tool_call_id or "", "content": m.content}]
    blocks: list[dict[str, Any]] = []
    if m.parts:
        for part in m.parts:
            if part.type == "image":
                blocks.append(_image(part))
            elif part.type == "text" and part.text:
                blocks.append({"type": "text", "text": part.text})
            elif part.type == "audio":
                raise ValueError("input_audio")
    elif m.content:
        blocks.append({"type": "text", "text": m.content})
    for call in m.tool_calls:
        try:
            args = orjson.loads(call.arguments or "{}")
        except orjson.JSONDecodeError:
            raise ValueError(f"tool_calls[{call.id}].function.arguments is not JSON") from None
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": args})
    return blocks


def _tool_choice(choice: ToolChoice | None, parallel: bool | None) -> dict[str, Any] | None:
    out: dict[str, Any] | None = None
    if choice is not None:
        if choice.mode == "function":
            out = {"type": "tool", "name": choice.name}
        else:
            out = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice.mode]}
    if parallel is False:
        out = out or {"type": "auto"}
        out["disable_parallel_tool_use"] = True
    return out


def anthropic_body(req: ChatRequest) -> dict[str, Any]:
    """A Messages body for a request that did not arrive in Anthropic's shape."""
    o = req.options
    messages: list[dict[str, Any]] = []
    for m in req.messages:
        if m.role in ("system", "developer"):
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = _blocks(m)
        if not blocks:
            continue
        if messages and messages[-1]["role"] == role:  # turns must alternate
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})
    for message in messages:  # a lone text block is sent as plain text
        blocks = message["content"]
        if len(blocks) == 1 and blocks[0]["type"] == "text":
            message["content"] = blocks[0]["text"]
    body: dict[str, Any] = {"model": req.model, "messages": messages}
    system = "\n\n".join(m.content for m in req.messages if m.role in ("system", "developer"))
    if system:
        body["system"] = system
    tools = [
        {
            "name": t.name,
            **({"description": t.description} if t.description is not None else {}),
            "input_schema": t.parameters or {"type": "object", "properties": {}},
        }
        for t in o.tools
    ]
    tool_choice = _tool_choice(o.tool_choice, o.parallel_tool_calls)
    fmt = o.response_format
    if fmt is not None and fmt.type != "text":  # JSON mode: one forced tool whose input is it
        schema = fmt.schema if fmt.type == "json_schema" and fmt.schema else {"type": "object"}
        tools.append(
            {"name": JSON_TOOL, "description": "Answer with this JSON.", "input_schema": schema}
        )
        tool_choice = {"type": "tool", "name": JSON_TOOL}
    if tools:
        body["tools"] = tools
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    if o.stop:
        body["stop_sequences"] = list(o.stop)
    if o.top_k is not None:
        body["top_k"] = o.top_k
    if o.user is not None:
        body["metadata"] = {"user_id": o.user}
    return body


class AnthropicProvider(HttpAdapter):
    """``POST {base_url}/v1/messages`` with ``x-api-key`` and ``anthropic-version``."""

    protocol = "anthropic"

    def _url(self, req: ChatRequest, *, stream: bool) -> str:
        # Tolerate a base URL that already ends in /v1 (as the OpenAI-style tables list it).
        if self._base_url.endswith("/v1"):
            return f"{self._base_url}/messages"
        return f"{self._base_url}/v1/messages"

    def _headers(self, *, stream: bool) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
            "anthropic-version": ANTHROPIC_VERSION,
        }
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def _payload(self, req: ChatRequest, *, stream: bool) -> dict[str, Any]:
        native = req.options.native
        if native is not None and native.protocol == self.protocol:
            body = dict(native.body)  # the client's body: unknown fields pass through
        else:
            try:
                body = anthropic_body(req)
            except ValueError as exc:  # the planner refuses these first; never sent half
                raise self._fail(
                    "bad_request", f"{self._where} cannot take {exc} (no equivalent)"
                ) from None
        body["model"] = req.model
        body["stream"] = stream
        limit = req.max_tokens if req.max_tokens is not None else req.output_limit
        if limit is not None:
            body["max_tokens"] = limit
        elif "max_tokens" not in body:
            body["max_tokens"] = DEFAULT_MAX_TOKENS  # required; docs/policy.md says so
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        return body

    def _parse_completion(self, data: Any) -> tuple[tuple[Choice, ...], Usage | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("type") == "error" or data.get("error"):
            raise InBandError(data)
        content = data.get("content")
        if not isinstance(content, list):
            raise MalformedResponse("response has no content list")
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                texts.append(text_of(block, "text"))
            elif block.get("type") == "tool_use":
                if block.get("name") == JSON_TOOL:
                    texts.append(_json_args(block.get("input")))
                else:
                    calls.append(
                        ToolCall(
                            text_of(block, "id"),
                            text_of(block, "name"),
                            _json_args(block.get("input")),
                        )
                    )
        finish = _finish(data.get("stop_reason"))
        if finish == "tool_calls" and not calls:
            finish = "stop"  # only the JSON-mode tool was used
        counts = _UsageCounts()
        usage = counts.total() if counts.merge(data.get("usage")) else None
        return (Choice(0, "".join(texts), finish, tuple(calls)),), usage

    def _stream_parser(self) -> _AnthropicStream:
        return _AnthropicStream()

    def _classify(self, status: int | None, payload: Any) -> tuple[ErrorKind, str | None]:
        err = error_object(payload)
        message = text_of(err, "message") or None
        etype = text_of(err, "type")
        lowered = (message or "").lower()
        if status is None:
            kind = _INBAND_KINDS.get(etype, "unavailable")
        elif etype == "overloaded_error":
            kind = "rate_limited"
        else:
            kind = self._status_kind(status)
        if kind == "bad_request":
            if any(p in lowered for p in _CONTEXT_PHRASES):
                return "context_length", message
            if any(p in lowered for p in _POLICY_PHRASES):
                return "content_policy", message
        return kind, message
