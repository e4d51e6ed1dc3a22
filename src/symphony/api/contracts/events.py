"""GET /events: the SSE envelope every event's `data` has."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from symphony.api.contracts.base import Instant, Wire, ref, sse_content
from symphony.events.bus import EVENT_TYPES


class EventEnvelope(Wire):
    """`{type, at, ...payload}`: `type` repeats the SSE `event:` name, `at` is when it was
    published; the payload's keys depend on the type (see docs/api.md)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["route.execute"])
    at: Instant


class StreamNotice(Wire):
    """`reset` (Last-Event-ID is older than the replay buffer: refetch state) or `dropped`
    (this client was too slow and is cut off: reconnect with Last-Event-ID)."""

    type: Literal["reset", "dropped"]
    reason: str


EVENT_STREAM = sse_content(
    {
        **{name: ref(EventEnvelope) for name in EVENT_TYPES},
        "reset": ref(StreamNotice),
        "dropped": ref(StreamNotice),
    },
    "Every event has an `id` (send it back as Last-Event-ID), its type as `event` and "
    "JSON `data` {type, at, ...payload}",
    example=(
        "id: 42\nevent: route.execute\n"
        'data: {"type":"route.execute","at":"2026-11-22T17:00:00Z",'
        '"model":"local/ollama","latency_ms":412}\n\n'
    ),
)
