"""GET /events: the SSE envelope every event's `data` has."""

from __future__ import annotations

import typing
from dataclasses import MISSING, fields
from typing import Any, Literal

from pydantic import ConfigDict, Field, create_model

from symphony.api.contracts.base import Instant, Wire, absent, ref, sse_content
from symphony.events.facts import FACTS, Fact


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


def event_model(fact: type[Fact]) -> type[Wire]:
    """The wire model of one event type: `type`, `at` and the fact's fields (optional
    fields, default None, are absent rather than null when they do not apply)."""
    hints = typing.get_type_hints(fact)
    spec: dict[str, Any] = {
        "type": (Literal[fact.TYPE.value], Field(examples=[fact.TYPE.value])),
        "at": (Instant, ...),
    }
    for f in fields(fact):
        if f.default is None:
            spec[f.name] = (hints[f.name], absent())
        else:
            assert f.default is MISSING, f"{fact.__name__}.{f.name}: only None defaults"
            spec[f.name] = (hints[f.name], ...)
    name = fact.__name__ + "Event"
    model: type[Wire] = create_model(name, __base__=Wire, __doc__=fact.__doc__, **spec)
    return model


EVENT_MODELS: dict[str, type[Wire]] = {fact.TYPE.value: event_model(fact) for fact in FACTS}

EVENT_STREAM = sse_content(
    {
        **{name: ref(model) for name, model in EVENT_MODELS.items()},
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
