"""Google Gemini native API (``generateContent`` / ``streamGenerateContent?alt=sse``)."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

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
from symphony.providers.errors import ErrorKind, kind_for_status
from symphony.providers.sse import SseEvent

__all__ = ["GeminiProvider"]

_BLOCKED: Final = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"}
)
_FINISH: Final = {"STOP": "stop", "MAX_TOKENS": "length"}
_RPC_KINDS: Final[dict[str, ErrorKind]] = {
    "RESOURCE_EXHAUSTED": "rate_limited",
    "UNAVAILABLE": "unavailable",
    "INTERNAL": "unavailable",
    "DEADLINE_EXCEEDED": "timeout",
    "UNAUTHENTICATED": "auth",
    "PERMISSION_DENIED": "auth",
    "INVALID_ARGUMENT": "bad_request",
    "FAILED_PRECONDITION": "bad_request",
    "NOT_FOUND": "bad_request",
}
_CONTEXT_PHRASES: Final = ("exceeds the maximum number of tokens",)


def _finish(reason: Any) -> str | None:
    if not isinstance(reason, str) or not reason or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    if reason in _BLOCKED:
        return "content_filter"
    return _FINISH.get(reason, reason.lower())


def _usage(meta: Any) -> Usage | None:
    if not isinstance(meta, dict):
        return None
    return Usage(
        prompt_tokens=as_int(meta.get("promptTokenCount")),
        # Thinking tokens are billed as output but reported apart from candidates.
        completion_tokens=as_int(meta.get("candidatesTokenCount"))
        + as_int(meta.get("thoughtsTokenCount")),
    )


def _prompt_blocked(data: dict[str, Any]) -> bool:
    feedback = data.get("promptFeedback")
    return isinstance(feedback, dict) and bool(feedback.get("blockReason"))


def _candidate(data: dict[str, Any]) -> tuple[str, str | None] | None:
    """Return (text, finish reason) of the first candidate, or None if there is none."""
    candidates = data.get("candidates")
    if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
        return None
    first = candidates[0]
    content = first.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    text = ""
    if isinstance(parts, list):
        text = "".join(
            text_of(p, "text") for p in parts if isinstance(p, dict) and not p.get("thought")
        )
    return text, _finish(first.get("finishReason"))


class _GeminiStream:
    __slots__ = ("done", "finish_reason", "usage")

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False

    def feed(self, event: SseEvent) -> str | None:
        chunk = loads(event.data)
        if isinstance(chunk, list) and len(chunk) == 1:
            chunk = chunk[0]
        if not isinstance(chunk, dict):
            raise MalformedResponse("stream chunk is not a JSON object")
        if chunk.get("error"):
            raise InBandError(chunk)
        usage = _usage(chunk.get("usageMetadata"))  # the last chunk carries the totals
        if usage is not None:
            self.usage = usage
        if _prompt_blocked(chunk):
            self.finish_reason = "content_filter"
            self.done = True
            return None
        found = _candidate(chunk)
        if found is None:
            return None
        text, finish = found
        if finish is not None:
            self.finish_reason = finish
        return text or None


class GeminiProvider(HttpAdapter):
    """``POST {base_url}/models/{model}:generateContent`` with ``x-goog-api-key``."""

    protocol = "gemini"

    def _url(self, req: ChatRequest, *, stream: bool) -> str:
        model = quote(req.model.removeprefix("models/"), safe="-._~")
        if stream:
            return f"{self._base_url}/models/{model}:streamGenerateContent?alt=sse"
        return f"{self._base_url}/models/{model}:generateContent"

    def _headers(self, *, stream: bool) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        if self._api_key:
            headers["x-goog-api-key"] = self._api_key  # never ?key=: URLs end up in logs
        return headers

    def _payload(self, req: ChatRequest, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "contents": [
                {
                    "role": "model" if m.role == "assistant" else "user",
                    "parts": [{"text": m.content}],
                }
                for m in req.messages
                if m.role != "system"
            ]
        }
        system = "\n\n".join(m.content for m in req.messages if m.role == "system")
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config: dict[str, Any] = {}
        if req.max_tokens is not None:
            config["maxOutputTokens"] = req.max_tokens
        if req.temperature is not None:
            config["temperature"] = req.temperature
        if req.top_p is not None:
            config["topP"] = req.top_p
        if config:
            body["generationConfig"] = config
        return body

    def _parse_completion(self, data: Any) -> tuple[str, Usage | None, str | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("error"):
            raise InBandError(data)
        usage = _usage(data.get("usageMetadata"))
        if _prompt_blocked(data):
            return "", usage, "content_filter"
        found = _candidate(data)
        if found is None:
            raise MalformedResponse("response has no candidates")
        text, finish = found
        return text, usage, finish

    def _stream_parser(self) -> _GeminiStream:
        return _GeminiStream()

    def _classify(self, status: int | None, payload: Any) -> tuple[ErrorKind, str | None]:
        err = error_object(payload)
        message = text_of(err, "message") or None
        lowered = (message or "").lower()
        if status is not None:
            kind = self._status_kind(status)
        elif isinstance(err.get("code"), int) and err["code"] >= 400:
            kind = kind_for_status(err["code"])
        else:
            kind = _RPC_KINDS.get(text_of(err, "status"), "unavailable")
        details = err.get("details")
        reasons = (
            {text_of(d, "reason") for d in details if isinstance(d, dict)}
            if isinstance(details, list)
            else set()
        )
        if kind == "bad_request":
            # Gemini answers a bad key with 400 INVALID_ARGUMENT, not 401.
            if "API_KEY_INVALID" in reasons or "api key not valid" in lowered:
                return "auth", message
            if any(p in lowered for p in _CONTEXT_PHRASES):
                return "context_length", message
        return kind, message
