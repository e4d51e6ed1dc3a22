"""Anthropic Messages API (``/v1/messages``), non-streaming and SSE streaming."""

from __future__ import annotations

from typing import Any, Final

from symphony.providers.adapter import (
    HttpAdapter,
    InBandError,
    MalformedResponse,
    as_int,
    error_object,
    loads,
    text_of,
)
from symphony.providers.base import ChatRequest, Usage
from symphony.providers.errors import ErrorKind
from symphony.providers.sse import SseEvent

__all__ = ["ANTHROPIC_VERSION", "DEFAULT_MAX_TOKENS", "AnthropicProvider"]

ANTHROPIC_VERSION: Final = "2023-06-01"
DEFAULT_MAX_TOKENS: Final = 1024  # the API requires max_tokens

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


class _AnthropicStream:
    __slots__ = ("_counts", "done", "finish_reason", "usage")

    def __init__(self) -> None:
        self._counts = _UsageCounts()
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False

    def feed(self, event: SseEvent) -> str | None:
        msg = loads(event.data)
        if not isinstance(msg, dict):
            raise MalformedResponse("stream event is not a JSON object")
        kind = msg.get("type") or event.event
        if kind == "content_block_delta":
            delta = msg.get("delta")
            if isinstance(delta, dict) and delta.get("type") == "text_delta":
                return text_of(delta, "text") or None
            return None  # thinking, signatures, tool-input JSON: not answer text
        if kind == "content_block_start":
            block = msg.get("content_block")
            if isinstance(block, dict) and block.get("type") == "text":
                return text_of(block, "text") or None
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
        elif kind == "error":
            raise InBandError(msg)
        return None  # ping, content_block_stop, and event types added later


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
        system = "\n\n".join(m.content for m in req.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": req.model,
            "max_tokens": req.max_tokens if req.max_tokens is not None else DEFAULT_MAX_TOKENS,
            "messages": [
                {"role": m.role, "content": m.content} for m in req.messages if m.role != "system"
            ],
            "stream": stream,
        }
        if system:
            body["system"] = system
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        return body

    def _parse_completion(self, data: Any) -> tuple[str, Usage | None, str | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("type") == "error" or data.get("error"):
            raise InBandError(data)
        content = data.get("content")
        if not isinstance(content, list):
            raise MalformedResponse("response has no content list")
        text = "".join(
            text_of(block, "text")
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
        counts = _UsageCounts()
        usage = counts.total() if counts.merge(data.get("usage")) else None
        return text, usage, _finish(data.get("stop_reason"))

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
