"""What every protocol module provides, and the request/reply records they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import orjson
from aiohttp import web

from symphony.simulator.behave import NO_EXTRAS, Extras
from symphony.simulator.text import Completion

LimitKind = Literal["requests", "tokens"]
JSON_CT = "application/json"
SSE_CT = "text/event-stream"


@dataclass(frozen=True, slots=True)
class Parsed:
    """The parts of a chat request the simulator acts on."""

    model: str
    stream: bool
    include_usage: bool
    last_user: str
    prompt_chars: int
    max_tokens: int | None
    extras: Extras = NO_EXTRAS


@dataclass(frozen=True, slots=True)
class Reply:
    """A completion ready to render: ids, timestamps and the rendered text."""

    id: str
    model: str
    created: int
    completion: Completion
    include_usage: bool
    choices: tuple[Completion, ...] = ()  # every choice (n > 1); the first is `completion`

    @property
    def all(self) -> tuple[Completion, ...]:
        """Every choice, the first included."""
        return self.choices or (self.completion,)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.all)


@dataclass(frozen=True, slots=True)
class LimitInfo:
    """Why and for how long a request is rate limited."""

    kind: LimitKind
    cap: int | None
    window_s: float
    retry_after_s: float


class Wire(Protocol):
    """One wire protocol: error shapes, a full body, and the SSE events of a stream."""

    name: str
    id_prefix: str
    serves: frozenset[str]
    retry_after_on_429: bool

    def not_found(self, model: str) -> web.Response: ...

    def rate_limited(
        self, model: str, info: LimitInfo, headers: dict[str, str]
    ) -> web.Response: ...

    def server_error(self, status: int) -> web.Response: ...

    def invalid(self, message: str) -> web.Response: ...

    def no_credit(self) -> web.Response: ...

    def full(self, reply: Reply) -> bytes: ...

    def events(self, reply: Reply) -> list[bytes]: ...


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> web.Response:
    """An orjson-encoded JSON response."""
    return web.Response(
        status=status, body=orjson.dumps(body), content_type=JSON_CT, headers=headers
    )


def sse_data(payload: object) -> bytes:
    """One `data:` SSE event."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def sse_event(event: str, payload: object) -> bytes:
    """One named SSE event (`event:` + `data:`)."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def break_event(event: bytes) -> bytes:
    """Cut an SSE event's JSON in half so the client sees malformed data."""
    start = event.find(b"data: ")
    if start < 0:
        return event[: len(event) // 2] + b"\n\n"
    start += len(b"data: ")
    data = event[start:].rstrip(b"\n")
    return event[:start] + data[: max(1, len(data) // 2)] + b"\n\n"


def as_int(value: object) -> int | None:
    """An int request field, or None when absent or not an integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value
