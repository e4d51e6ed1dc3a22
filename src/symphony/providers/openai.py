"""OpenAI Chat Completions, and every upstream that speaks it (vLLM, Ollama, DeepSeek, xAI…)."""

from __future__ import annotations

from typing import Any

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

__all__ = ["OpenAIProvider"]

_CONTEXT_CODES = frozenset({"context_length_exceeded"})
_CONTEXT_PHRASES = ("maximum context length", "context length exceeded", "context window")
_POLICY_CODES = frozenset({"content_filter", "content_policy_violation"})


def _usage(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    return Usage(
        prompt_tokens=as_int(value.get("prompt_tokens")),
        completion_tokens=as_int(value.get("completion_tokens")),
    )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts, from some compatible servers
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""  # null: tool calls or a refusal


class _OpenAIStream:
    __slots__ = ("done", "finish_reason", "usage")

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False

    def feed(self, event: SseEvent) -> str | None:
        if event.data.strip() == b"[DONE]":
            self.done = True
            return None
        chunk = loads(event.data)
        if not isinstance(chunk, dict):
            raise MalformedResponse("stream chunk is not a JSON object")
        if chunk.get("error"):
            raise InBandError(chunk)
        usage = _usage(chunk.get("usage"))  # null on every chunk but the last
        if usage is not None:
            self.usage = usage
        choices = chunk.get("choices")  # [] on the usage chunk; null or absent on some servers
        if not isinstance(choices, list):
            return None
        text: str | None = None
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self.finish_reason = finish
            delta = choice.get("delta")
            if isinstance(delta, dict):
                content = delta.get("content")
                if isinstance(content, str) and content:
                    text = content if text is None else text + content
        return text


class OpenAIProvider(HttpAdapter):
    """``POST {base_url}/chat/completions`` with ``Authorization: Bearer``."""

    protocol = "openai"

    def _url(self, req: ChatRequest, *, stream: bool) -> str:
        return f"{self._base_url}/chat/completions"

    def _headers(self, *, stream: bool) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def _payload(self, req: ChatRequest, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": req.model,
            "messages": [{"role": m.role, "content": m.content} for m in req.messages],
            "stream": stream,
        }
        if req.max_tokens is not None:
            body["max_tokens"] = req.max_tokens
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    def _parse_completion(self, data: Any) -> tuple[str, Usage | None, str | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("error"):
            raise InBandError(data)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise MalformedResponse("response has no choices")
        choice = choices[0]
        message = choice.get("message")
        text = _content_text(message.get("content")) if isinstance(message, dict) else ""
        finish = choice.get("finish_reason")
        return text, _usage(data.get("usage")), finish if isinstance(finish, str) else None

    def _stream_parser(self) -> _OpenAIStream:
        return _OpenAIStream()

    def _classify(self, status: int | None, payload: Any) -> tuple[ErrorKind, str | None]:
        err = error_object(payload)
        message = text_of(err, "message") or None
        code = text_of(err, "code").lower()
        etype = text_of(err, "type").lower()
        lowered = (message or "").lower()
        kind = self._status_kind(status)
        if kind in ("bad_request", "unavailable") and (status is None or 400 <= status < 500):
            if code in _CONTEXT_CODES or any(p in lowered for p in _CONTEXT_PHRASES):
                return "context_length", message
            if code in _POLICY_CODES or etype in _POLICY_CODES:
                return "content_policy", message
        if status is None:  # in-band: only the error object says what happened
            if code in ("429", "rate_limit_exceeded") or etype in ("rate_limit_exceeded", "tokens"):
                return "rate_limited", message
            if code in ("401", "403", "invalid_api_key") or etype == "authentication_error":
                return "auth", message
        return kind, message
