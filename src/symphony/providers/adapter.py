"""The HTTP skeleton shared by every protocol adapter: send, classify, stream, account.

Subclasses only describe their wire format (URL, headers, body, response and stream
shapes, error bodies); deadlines, error wrapping, partial results and key redaction live
here once.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import orjson

from symphony.providers.base import (
    ChatRequest,
    Completion,
    StreamDelta,
    StreamEnd,
    StreamEvent,
    StreamStart,
    Usage,
    estimate_usage,
)
from symphony.providers.chat import Choice
from symphony.providers.embed import Embeddings, EmbedRequest
from symphony.providers.errors import (
    ErrorKind,
    ProviderError,
    display_url,
    kind_for_status,
    redact,
    redact_bytes,
    shorten,
)
from symphony.providers.sse import SseDecoder, SseEvent
from symphony.providers.transport import HttpResponse, HttpTransport, TransportError

__all__ = [
    "HttpAdapter",
    "InBandError",
    "MalformedResponse",
    "StreamParser",
    "as_int",
    "error_object",
    "loads",
    "text_of",
]

logger = logging.getLogger("symphony.providers")

CONTENT_FILTER = "content_filter"


class MalformedResponse(Exception):
    """A success response or stream chunk did not have the documented shape."""


class InBandError(Exception):
    """A stream carried an error object (status 200 already sent); ``payload`` is its JSON."""

    def __init__(self, payload: Any) -> None:
        super().__init__("in-band error")
        self.payload = payload


class StreamParser(Protocol):
    """Per-stream state machine fed decoded SSE events.

    ``feed`` returns the first choice's text (the hot path); anything else an event carries
    (tool-call pieces, other choices' text) goes to ``pending``, which the adapter drains
    after each event. ``choices`` builds the final choices once the stream has ended.
    """

    finish_reason: str | None
    usage: Usage | None
    done: bool  # an explicit end-of-stream marker was seen
    pending: list[StreamEvent]

    def feed(self, event: SseEvent) -> str | None:
        """Return generated text carried by ``event``; raise InBandError/MalformedResponse."""
        ...

    def choices(self, text: str) -> tuple[Choice, ...]:
        """Every choice of the finished stream; ``text`` is the first choice's text."""
        ...


def as_int(value: object) -> int:
    """Read a token count leniently (missing, null or non-integer counts as 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def error_object(payload: Any) -> dict[str, Any]:
    """Find the ``error`` object in an upstream error body, however it is wrapped."""
    if isinstance(payload, list) and payload:
        payload = payload[0]  # Gemini's non-SSE stream wraps responses in an array
    if not isinstance(payload, dict):
        return {}
    err = payload.get("error")
    if isinstance(err, dict):
        return err
    if isinstance(err, str):
        return {"message": err}
    for key in ("message", "detail"):  # other OpenAI-compatible servers and proxies
        if isinstance(payload.get(key), str):
            return {"message": payload[key]}
    return {}


def _all_text(choices: tuple[Choice, ...]) -> str:
    """Every choice's text and tool-call arguments: what the completion generated."""
    if len(choices) == 1 and not choices[0].tool_calls:
        return choices[0].text
    return "".join(c.text + "".join(t.name + t.arguments for t in c.tool_calls) for c in choices)


def text_of(obj: dict[str, Any], key: str) -> str:
    """Return ``obj[key]`` as a string ('' when missing or null)."""
    value = obj.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def loads(data: bytes) -> Any:
    """Decode JSON, raising MalformedResponse instead of a decode error."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedResponse(f"invalid JSON ({exc})") from None


class HttpAdapter(ABC):
    """Base class for adapters that POST JSON and read JSON or SSE back."""

    protocol: str  # set by each subclass

    def __init__(self, base_url: str, api_key: str | None, transport: HttpTransport) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self._transport = transport
        self._where = f"{self.protocol} upstream {display_url(self._base_url)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={display_url(self._base_url)!r})"

    # --- wire format, per protocol -------------------------------------------------------

    @abstractmethod
    def _url(self, req: ChatRequest, *, stream: bool) -> str: ...

    @abstractmethod
    def _headers(self, *, stream: bool) -> dict[str, str]: ...

    @abstractmethod
    def _payload(self, req: ChatRequest, *, stream: bool) -> dict[str, Any]: ...

    @abstractmethod
    def _parse_completion(self, data: Any) -> tuple[tuple[Choice, ...], Usage | None]:
        """Return (every choice, usage or None); raise MalformedResponse."""

    @abstractmethod
    def _stream_parser(self) -> StreamParser: ...

    @abstractmethod
    def _classify(self, status: int | None, payload: Any) -> tuple[ErrorKind, str | None]:
        """Classify an error body (``status`` None for in-band errors); return kind, message."""

    # --- the Provider interface ----------------------------------------------------------

    async def aclose(self) -> None:
        """Nothing to release: the transport belongs to whoever created it."""
        return None

    async def complete(self, req: ChatRequest) -> Completion:
        """Send one non-streaming call, bounded in total by ``req.timeout_s``."""
        url, headers, body = self._prepare(req, stream=False)
        try:
            async with asyncio.timeout(req.timeout_s):
                async with self._transport.request(
                    "POST", url, headers=headers, body=body, timeout_s=req.timeout_s
                ) as resp:
                    status, resp_headers = resp.status, resp.headers
                    if 200 <= status < 300:
                        raw = await self._bounded_body(resp, req.max_response_bytes)
                    else:
                        raw = await resp.read()
        except TimeoutError:
            raise self._fail(
                "timeout", f"{self._where} timed out after {req.timeout_s:g}s"
            ) from None
        except TransportError as exc:
            raise self._transport_failure(exc, req.timeout_s) from None
        if not 200 <= status < 300:
            raise self._http_error(status, resp_headers, raw)
        try:
            choices, usage = self._parse_completion(loads(raw.strip()))
        except MalformedResponse as exc:
            raise self._malformed(str(exc), status, resp_headers, raw) from None
        except InBandError as exc:
            raise self._inband_error(exc.payload, raw, status, resp_headers) from None
        first = choices[0]
        text, finish = first.text, first.finish_reason
        if finish == CONTENT_FILTER:
            raise self._blocked(status, resp_headers, text, usage)
        return Completion(
            text=text,
            usage=usage if usage is not None else estimate_usage(req.messages, _all_text(choices)),
            finish_reason=finish,
            status=status,
            headers=resp_headers,
            choices=choices,
        )

    async def stream(self, req: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Stream one call; each read is bounded by ``req.timeout_s``."""
        url, headers, body = self._prepare(req, stream=True)
        parser = self._stream_parser()
        pieces: list[str] = []
        status = 0
        resp_headers: Mapping[str, str] = {}
        try:
            async with self._transport.request(
                "POST", url, headers=headers, body=body, timeout_s=req.timeout_s
            ) as resp:
                status, resp_headers = resp.status, resp.headers
                if not 200 <= status < 300:
                    raise self._http_error(status, resp_headers, await resp.read())
                yield StreamStart(status=status, headers=resp_headers)
                decoder = SseDecoder()
                lines = resp.iter_lines()
                seen, cap = 0, req.max_response_bytes
                async for line in lines:
                    seen += len(line) + 1
                    if seen > cap:
                        raise self._too_large(cap)
                    event = decoder.feed(line)
                    if event is None:
                        continue
                    delta = self._feed(parser, event, pieces)
                    if delta:
                        yield StreamDelta(delta)
                    if parser.pending:
                        for item in parser.pending:
                            yield item
                        parser.pending.clear()
                    if parser.done:
                        break
                else:
                    event = decoder.flush()
                    delta = self._feed(parser, event, pieces) if event is not None else None
                    if delta:
                        yield StreamDelta(delta)
                    for item in parser.pending:
                        yield item
                    parser.pending.clear()
                    # No explicit end marker: a finish reason still means a whole answer.
                    if not (parser.done or parser.finish_reason is not None):
                        raise MalformedResponse("stream ended before completion")
                text = "".join(pieces)
                if parser.finish_reason == CONTENT_FILTER:
                    raise self._blocked(status, resp_headers, text, parser.usage)
                choices = parser.choices(text)
                yield StreamEnd(
                    usage=parser.usage or estimate_usage(req.messages, _all_text(choices)),
                    finish_reason=parser.finish_reason,
                    usage_reported=parser.usage is not None,
                    choices=choices,
                )
                await self._drain(lines)
        except TransportError as exc:
            error = self._transport_failure(exc, req.timeout_s)
            self._attach_partial(error, pieces, parser)
            raise error from None
        except MalformedResponse as exc:
            error = self._malformed(str(exc), status, resp_headers, b"")
            self._attach_partial(error, pieces, parser)
            raise error from None
        except ProviderError as error:
            self._attach_partial(error, pieces, parser)
            raise

    # --- embeddings ----------------------------------------------------------------------

    def _embed_url(self, req: EmbedRequest) -> str:
        raise self._fail(
            "bad_request", f"{self._where}: the {self.protocol} protocol has no embeddings"
        )

    def _embed_payload(self, req: EmbedRequest) -> dict[str, Any]:
        return {}

    def _parse_embeddings(
        self, data: Any, req: EmbedRequest
    ) -> tuple[tuple[tuple[float, ...], ...], Usage | None]:
        raise MalformedResponse("no embeddings")

    async def embed(self, req: EmbedRequest) -> Embeddings:
        """Embed every input in one call, bounded in total by ``req.timeout_s``."""
        url = self._embed_url(req)
        body = orjson.dumps(self._embed_payload(req))
        headers = self._headers(stream=False)
        try:
            async with asyncio.timeout(req.timeout_s):
                async with self._transport.request(
                    "POST", url, headers=headers, body=body, timeout_s=req.timeout_s
                ) as resp:
                    raw = await resp.read()
                    status, resp_headers = resp.status, resp.headers
        except TimeoutError:
            raise self._fail(
                "timeout", f"{self._where} timed out after {req.timeout_s:g}s"
            ) from None
        except TransportError as exc:
            raise self._transport_failure(exc, req.timeout_s) from None
        if not 200 <= status < 300:
            raise self._http_error(status, resp_headers, raw)
        try:
            vectors, usage = self._parse_embeddings(loads(raw.strip()), req)
        except MalformedResponse as exc:
            raise self._malformed(str(exc), status, resp_headers, raw) from None
        except InBandError as exc:
            raise self._inband_error(exc.payload, raw, status, resp_headers) from None
        if len(vectors) != len(req.inputs):
            raise self._malformed(
                f"{len(vectors)} embeddings for {len(req.inputs)} inputs", status, resp_headers, raw
            )
        return Embeddings(
            vectors=vectors,
            usage=usage if usage is not None else req.estimate(),
            status=status,
            headers=resp_headers,
        )

    # --- helpers -------------------------------------------------------------------------

    async def _bounded_body(self, resp: HttpResponse, cap: int) -> bytes:
        """A success body, read line by line so no more than `cap` bytes are ever held."""
        length = resp.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise self._too_large(cap)
        lines: list[bytes] = []
        seen = 0
        async for line in resp.iter_lines():
            seen += len(line) + 1
            if seen > cap:
                raise self._too_large(cap)
            lines.append(line)
        return b"\n".join(lines)

    def _too_large(self, cap: int) -> ProviderError:
        return self._fail(
            "too_large",
            f"{self._where}: the answer passed {cap} bytes"
            " (SYMPHONY_MAX_UPSTREAM_RESPONSE_BYTES); read no further",
        )

    def _prepare(self, req: ChatRequest, *, stream: bool) -> tuple[str, dict[str, str], bytes]:
        return (
            self._url(req, stream=stream),
            self._headers(stream=stream) | self._native_headers(req),
            orjson.dumps(self._payload(req, stream=stream)),
        )

    def _native_headers(self, req: ChatRequest) -> dict[str, str]:
        """Protocol headers the client sent, forwarded to an upstream of its protocol."""
        native = req.options.native
        if native is None or native.protocol != self.protocol or not native.headers:
            return {}
        return dict(native.headers)

    def _feed(self, parser: StreamParser, event: SseEvent, pieces: list[str]) -> str | None:
        try:
            delta = parser.feed(event)
        except InBandError as exc:
            raise self._inband_error(exc.payload, event.data) from None
        if delta:
            pieces.append(delta)
        return delta

    @staticmethod
    async def _drain(lines: AsyncIterator[bytes]) -> None:
        # Read to the end so a finished connection goes back to the pool; the answer is
        # already complete, so a failure here changes nothing.
        try:
            async for _ in lines:
                pass
        except TransportError:
            pass

    @staticmethod
    def _attach_partial(error: ProviderError, pieces: list[str], parser: StreamParser) -> None:
        if not error.partial_text:
            error.partial_text = "".join(pieces)
        if error.partial_usage is None:
            error.partial_usage = parser.usage

    def _fail(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> ProviderError:
        error = ProviderError(
            kind,
            redact(message, self._api_key),
            status=status,
            headers=headers,
            body=body,
            protocol=self.protocol,
        )
        logger.debug("provider call failed: kind=%s %s", kind, error.message)
        return error

    def _http_error(self, status: int, headers: Mapping[str, str], raw: bytes) -> ProviderError:
        body = redact_bytes(raw, self._api_key)
        try:
            payload: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            payload = None
        kind, message = self._classify(status, payload)
        if message is None:
            message = raw[:2048].decode("utf-8", "replace") or "empty body"
        detail = shorten(redact(message, self._api_key))
        return self._fail(
            kind,
            f"{self._where} answered {status}: {detail}",
            status=status,
            headers=headers,
            body=body,
        )

    def _inband_error(
        self,
        payload: Any,
        raw: bytes,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ProviderError:
        kind, message = self._classify(None, payload)
        detail = shorten(redact(message or "no message", self._api_key))
        how = "mid-stream" if status is None else f"with status {status}"
        return self._fail(
            kind,
            f"{self._where} reported an error {how}: {detail}",
            status=status,
            headers=headers,
            body=redact_bytes(raw, self._api_key),
        )

    def _transport_failure(self, exc: TransportError, timeout_s: float) -> ProviderError:
        if exc.timed_out:
            return self._fail("timeout", f"{self._where} timed out after {timeout_s:g}s")
        return self._fail("unavailable", f"{self._where} connection failed: {shorten(exc.detail)}")

    def _malformed(
        self, detail: str, status: int, headers: Mapping[str, str], raw: bytes
    ) -> ProviderError:
        return self._fail(
            "unavailable",
            f"{self._where} answered {status} with a malformed response: {shorten(detail)}",
            status=status,
            headers=headers,
            body=redact_bytes(raw, self._api_key),
        )

    def _blocked(
        self, status: int, headers: Mapping[str, str], text: str, usage: Usage | None
    ) -> ProviderError:
        error = self._fail(
            "content_policy",
            f"{self._where} answered {status}: output stopped by the content filter",
            status=status,
            headers=headers,
        )
        error.partial_text = text
        error.partial_usage = usage
        return error

    def _status_kind(self, status: int | None) -> ErrorKind:
        return kind_for_status(status) if status is not None else "unavailable"
