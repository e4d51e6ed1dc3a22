"""Google Gemini native API (``generateContent`` / ``streamGenerateContent?alt=sse``)."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

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
from symphony.providers.base import (
    ChatRequest,
    StreamDelta,
    StreamEvent,
    StreamToolCall,
    Usage,
)
from symphony.providers.chat import Choice, ToolCall
from symphony.providers.embed import EmbedRequest
from symphony.providers.errors import ErrorKind, kind_for_status
from symphony.providers.gemini_body import gemini_body, gemini_schema
from symphony.providers.sse import SseEvent

__all__ = ["GeminiProvider", "gemini_body", "gemini_schema"]

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


def _candidates(data: dict[str, Any]) -> list[tuple[int, str, list[tuple[str, str]], str | None]]:
    """Each candidate as (index, text, [(name, JSON args)], finish reason)."""
    found = data.get("candidates")
    if not isinstance(found, list):
        return []
    out = []
    for position, cand in enumerate(found):
        if not isinstance(cand, dict):
            continue
        content = cand.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        texts: list[str] = []
        calls: list[tuple[str, str]] = []
        if isinstance(parts, list):
            for p in parts:
                if not isinstance(p, dict) or p.get("thought"):
                    continue
                call = p.get("functionCall")
                if isinstance(call, dict):
                    args = call.get("args")
                    calls.append(
                        (
                            text_of(call, "name"),
                            orjson.dumps(args if args is not None else {}).decode(),
                        )
                    )
                else:
                    texts.append(text_of(p, "text"))
        index = cand.get("index")
        finish = _finish(cand.get("finishReason"))
        if calls and finish == "stop":
            finish = "tool_calls"
        out.append((index if isinstance(index, int) else position, "".join(texts), calls, finish))
    return out


def _call_id(choice: int, n: int) -> str:
    return f"call_{choice}_{n}"  # Gemini has no call ids; tool results are matched by name


class _GeminiStream:
    __slots__ = ("_calls", "_finish", "_texts", "done", "finish_reason", "pending", "usage")

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False
        self.pending: list[StreamEvent] = []
        self._texts: dict[int, list[str]] = {}
        self._finish: dict[int, str] = {}
        self._calls: dict[int, list[tuple[str, str]]] = {}

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
        text: str | None = None
        for index, piece, calls, finish in _candidates(chunk):
            if finish is not None:
                self._finish[index] = finish
                if index == 0:
                    self.finish_reason = finish
            if piece:
                if index == 0:
                    text = piece if text is None else text + piece
                else:
                    self._texts.setdefault(index, []).append(piece)
                    self.pending.append(StreamDelta(piece, index))
            kept = self._calls.setdefault(index, [])
            for name, args in calls:
                n = len(kept)
                kept.append((name, args))
                self.pending.append(StreamToolCall(index, n, _call_id(index, n), name, args))
        if self._calls.get(0) and self.finish_reason == "stop":
            self.finish_reason = "tool_calls"
        return text

    def choices(self, text: str) -> tuple[Choice, ...]:
        indexes = sorted({0, *self._texts, *self._finish, *self._calls})
        return tuple(
            Choice(
                index=i,
                text=text if i == 0 else "".join(self._texts.get(i, ())),
                finish_reason=self._finish.get(i),
                tool_calls=tuple(
                    ToolCall(_call_id(i, n), name, args)
                    for n, (name, args) in enumerate(self._calls.get(i, ()))
                ),
            )
            for i in indexes
        )


class GeminiProvider(HttpAdapter):
    """``POST {base_url}/models/{model}:generateContent`` with ``x-goog-api-key``."""

    protocol = "gemini"

    def _url(self, req: ChatRequest, *, stream: bool) -> str:
        model = self._model_path(req.model)
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
        try:
            return gemini_body(req)
        except ValueError as exc:  # the planner refuses these first; never sent half
            raise self._fail(
                "bad_request", f"{self._where} cannot take {exc} (no equivalent)"
            ) from None

    def _parse_completion(self, data: Any) -> tuple[tuple[Choice, ...], Usage | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("error"):
            raise InBandError(data)
        usage = _usage(data.get("usageMetadata"))
        if _prompt_blocked(data):
            return (Choice(0, "", "content_filter"),), usage
        found = _candidates(data)
        if not found:
            raise MalformedResponse("response has no candidates")
        choices = tuple(
            Choice(
                index=index,
                text=text,
                finish_reason=finish,
                tool_calls=tuple(
                    ToolCall(_call_id(index, n), name, args) for n, (name, args) in enumerate(calls)
                ),
            )
            for index, text, calls, finish in sorted(found, key=lambda c: c[0])
        )
        return choices, usage

    # --- embeddings: embedContent / batchEmbedContents ----------------------------------

    def _model_path(self, model: str) -> str:
        return quote(model.removeprefix("models/"), safe="-._~")

    def _embed_url(self, req: EmbedRequest) -> str:
        method = "embedContent" if len(req.inputs) == 1 else "batchEmbedContents"
        return f"{self._base_url}/models/{self._model_path(req.model)}:{method}"

    def _embed_payload(self, req: EmbedRequest) -> dict[str, Any]:
        def one(text: str | tuple[int, ...]) -> dict[str, Any]:
            if not isinstance(text, str):
                raise self._fail("bad_request", f"{self._where} cannot embed token ids")
            item: dict[str, Any] = {"content": {"parts": [{"text": text}]}}
            if req.dimensions is not None:
                item["outputDimensionality"] = req.dimensions
            return item

        if len(req.inputs) == 1:
            return one(req.inputs[0])
        name = f"models/{req.model.removeprefix('models/')}"
        return {"requests": [{"model": name, **one(text)} for text in req.inputs]}

    def _parse_embeddings(
        self, data: Any, req: EmbedRequest
    ) -> tuple[tuple[tuple[float, ...], ...], Usage | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("error"):
            raise InBandError(data)
        found = data.get("embeddings")
        if found is None and "embedding" in data:
            found = [data["embedding"]]
        if not isinstance(found, list):
            raise MalformedResponse("response has no embeddings")
        vectors = []
        for n, item in enumerate(found):
            values = item.get("values") if isinstance(item, dict) else None
            if not isinstance(values, list):
                raise MalformedResponse(f"embedding {n} has no values")
            try:
                vectors.append(tuple(float(v) for v in values))
            except (TypeError, ValueError):
                raise MalformedResponse(f"embedding {n} has a value that is not a number") from None
        return tuple(vectors), None  # Gemini reports no usage for embeddings

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
