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
from symphony.providers.base import (
    ChatRequest,
    StreamDelta,
    StreamEvent,
    StreamToolCall,
    Usage,
)
from symphony.providers.chat import Choice, ToolCall
from symphony.providers.embed import EmbedRequest, decode_base64
from symphony.providers.errors import ErrorKind
from symphony.providers.openai_body import openai_body
from symphony.providers.sse import SseEvent

__all__ = ["OpenAIProvider", "openai_body"]

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


def _tool_calls(value: Any) -> tuple[ToolCall, ...]:
    if not isinstance(value, list):
        return ()
    calls = []
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        fn = item.get("function")
        fn = fn if isinstance(fn, dict) else {}
        calls.append(
            ToolCall(
                id=text_of(item, "id") or f"call_{n}",
                name=text_of(fn, "name"),
                arguments=text_of(fn, "arguments"),
            )
        )
    return tuple(calls)


def _choice(raw: Any, position: int) -> Choice:
    if not isinstance(raw, dict):
        raise MalformedResponse("a choice is not a JSON object")
    message = raw.get("message")
    message = message if isinstance(message, dict) else {}
    finish = raw.get("finish_reason")
    refusal = message.get("refusal")
    index = raw.get("index")
    return Choice(
        index=index if isinstance(index, int) else position,
        text=_content_text(message.get("content")),
        finish_reason=finish if isinstance(finish, str) else None,
        tool_calls=_tool_calls(message.get("tool_calls")),
        logprobs=raw.get("logprobs"),
        refusal=refusal if isinstance(refusal, str) else None,
    )


class _OpenAIStream:
    __slots__ = ("_calls", "_finish", "_texts", "done", "finish_reason", "pending", "usage")

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False
        self.pending: list[StreamEvent] = []
        self._texts: dict[int, list[str]] = {}  # choices other than the first
        self._finish: dict[int, str] = {}
        self._calls: dict[tuple[int, int], list[str]] = {}  # (choice, index) -> id, name, args

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
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            index = index if isinstance(index, int) else 0
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self._finish[index] = finish
                if index == 0:
                    self.finish_reason = finish
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            content = delta.get("content")
            logprobs = choice.get("logprobs")
            if isinstance(content, str) and content:
                if index == 0 and logprobs is None:
                    text = content if text is None else text + content
                else:
                    self.pending.append(StreamDelta(content, index, logprobs))
                    if index:
                        self._texts.setdefault(index, []).append(content)
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                self._tool_pieces(index, calls)
        return text

    def _tool_pieces(self, choice: int, calls: list[Any]) -> None:
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            index = call.get("index", position)
            index = index if isinstance(index, int) else position
            fn = call.get("function")
            fn = fn if isinstance(fn, dict) else {}
            call_id = call.get("id") if isinstance(call.get("id"), str) else None
            name = fn.get("name") if isinstance(fn.get("name"), str) else None
            raw_args = fn.get("arguments")
            args = raw_args if isinstance(raw_args, str) else ""
            kept = self._calls.setdefault((choice, index), ["", "", ""])
            kept[0] = call_id or kept[0]
            kept[1] = name or kept[1]
            kept[2] += args
            self.pending.append(StreamToolCall(choice, index, call_id, name, args))

    def choices(self, text: str) -> tuple[Choice, ...]:
        indexes = sorted({0, *self._texts, *self._finish, *(c for c, _ in self._calls)})
        out = []
        for i in indexes:
            calls = tuple(
                ToolCall(id=v[0] or f"call_{n}", name=v[1], arguments=v[2])
                for (c, n), v in sorted(self._calls.items())
                if c == i
            )
            out.append(
                Choice(
                    index=i,
                    text=text if i == 0 else "".join(self._texts.get(i, ())),
                    finish_reason=self._finish.get(i),
                    tool_calls=calls,
                )
            )
        return tuple(out)


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
        native = req.options.native
        if native is not None and native.protocol == self.protocol:
            body = dict(native.body)  # the client's body: unknown fields pass through
        else:
            body = openai_body(req)
        body["model"] = req.model
        body["stream"] = stream
        sent = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        body.pop("max_tokens", None)
        body.pop("max_completion_tokens", None)
        if req.max_tokens is not None:
            body[req.max_tokens_param or sent] = req.max_tokens
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if stream:  # usage is how the call is accounted: always ask for the final chunk
            options = body.get("stream_options")
            body["stream_options"] = {
                **(options if isinstance(options, dict) else {}),
                "include_usage": True,
            }
        else:
            body.pop("stream_options", None)
        return body

    def _parse_completion(self, data: Any) -> tuple[tuple[Choice, ...], Usage | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("error"):
            raise InBandError(data)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise MalformedResponse("response has no choices")
        parsed = sorted((_choice(c, n) for n, c in enumerate(choices)), key=lambda c: c.index)
        return tuple(parsed), _usage(data.get("usage"))

    # --- embeddings: POST {base_url}/embeddings ------------------------------------------

    def _embed_url(self, req: EmbedRequest) -> str:
        return f"{self._base_url}/embeddings"

    def _embed_payload(self, req: EmbedRequest) -> dict[str, Any]:
        body: dict[str, Any] = dict(req.native) if req.native is not None else {}
        single = len(req.inputs) == 1 and isinstance(body.get("input"), str | None)
        body["model"] = req.model
        body["input"] = (
            [list(i) if isinstance(i, tuple) else i for i in req.inputs]
            if not single
            else (list(req.inputs[0]) if isinstance(req.inputs[0], tuple) else req.inputs[0])
        )
        if req.dimensions is not None:
            body["dimensions"] = req.dimensions
        if req.user is not None:
            body["user"] = req.user
        body["encoding_format"] = "base64"  # compact on the wire; decoded to floats here
        return body

    def _parse_embeddings(
        self, data: Any, req: EmbedRequest
    ) -> tuple[tuple[tuple[float, ...], ...], Usage | None]:
        if not isinstance(data, dict):
            raise MalformedResponse("response is not a JSON object")
        if data.get("error"):
            raise InBandError(data)
        items = data.get("data")
        if not isinstance(items, list):
            raise MalformedResponse("response has no data list")
        vectors: list[tuple[int, tuple[float, ...]]] = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise MalformedResponse("an embedding is not a JSON object")
            raw = item.get("embedding")
            try:
                if isinstance(raw, str):
                    vector = decode_base64(raw)
                elif isinstance(raw, list):
                    vector = tuple(float(x) for x in raw)
                else:
                    raise ValueError("no embedding")
            except (ValueError, TypeError) as exc:
                raise MalformedResponse(f"embedding {n}: {exc}") from None
            index = item.get("index")
            vectors.append((index if isinstance(index, int) else n, vector))
        vectors.sort(key=lambda pair: pair[0])
        usage = data.get("usage")
        reported = (
            Usage(prompt_tokens=as_int(usage.get("prompt_tokens")), completion_tokens=0)
            if isinstance(usage, dict)
            else None
        )
        return tuple(v for _, v in vectors), reported

    def _stream_parser(self) -> _OpenAIStream:
        return _OpenAIStream()

    def _classify(self, status: int | None, payload: Any) -> tuple[ErrorKind, str | None]:
        err = error_object(payload)
        message = text_of(err, "message") or None
        code = text_of(err, "code").lower()
        etype = text_of(err, "type").lower()
        lowered = (message or "").lower()
        kind = self._status_kind(status)
        if "insufficient_quota" in (code, etype):
            # No credit left: waiting does not help, so it is not retried as a rate limit.
            return "quota_exhausted", message
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
