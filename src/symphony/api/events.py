"""GET /events: Server-Sent Events with type filters and Last-Event-ID replay."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from symphony.api.contracts.errors import problems
from symphony.api.contracts.events import EVENT_STREAM
from symphony.api.deps import BusDep, MetricsDep
from symphony.api.security import api_key_of
from symphony.errors import ValidationFailed
from symphony.events.bus import EVENT_TYPES, Event

router = APIRouter(tags=["events"])
EVENT_ID = re.compile(r"[0-9]{1,19}")  # ASCII digits only (str.isdigit accepts '²')


def _sse(event: Event) -> ServerSentEvent:
    return ServerSentEvent(data=event.json().decode(), event=event.type, id=str(event.id))


@router.get(
    "/events",
    summary="Live event stream (SSE). ?types=a,b filters; Last-Event-ID replays missed events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": (
                "text/event-stream; each event has id, event (type) and JSON data {type, at, ...}"
            ),
            "content": EVENT_STREAM,
        },
        **problems({422: "Last-Event-ID is not a decimal event id (at most 19 digits)"}),
    },
)
async def events(
    request: Request,
    bus: BusDep,
    metrics: MetricsDep,
    types: str | None = Query(
        None, description=f"comma-separated subset of: {', '.join(EVENT_TYPES)}"
    ),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
) -> EventSourceResponse:
    wanted = [t.strip() for t in types.split(",") if t.strip()] if types else None
    last: int | None = None
    if last_event_id:
        if not EVENT_ID.fullmatch(last_event_id):
            message = "must be a decimal event id of at most 19 digits"
            field = {"path": "header.Last-Event-ID", "message": message}
            raise ValidationFailed(f"{field['path']}: {message}", detail={"fields": [field]})
        last = int(last_event_id)
    key = api_key_of(request)
    # The tenant wall: a tenant-bound key sees only its tenants' facts and shared ones.
    sub, replay, too_old = bus.subscribe(
        wanted, last, tenants=None if key is None else key.tenant_scope
    )

    async def stream() -> AsyncIterator[Any]:
        metrics.sse_subscribers.inc()
        try:
            # Sent at once so clients and proxies see a live stream before the first ping.
            yield ServerSentEvent(comment="connected", retry=3000)
            if too_old:
                yield ServerSentEvent(
                    data=(
                        '{"type":"reset","reason":"Last-Event-ID is older than the replay'
                        ' buffer; refetch state"}'
                    ),
                    event="reset",
                    id=str(bus.next_id - 1),
                )
            for event in replay:
                yield _sse(event)
            async for event in sub:
                yield _sse(event)
            if sub.dropped:
                yield ServerSentEvent(
                    data=(
                        '{"type":"dropped","reason":"client too slow;'
                        ' reconnect with Last-Event-ID"}'
                    ),
                    event="dropped",
                )
        finally:
            bus.unsubscribe(sub)
            metrics.sse_subscribers.dec()
            metrics.events_dropped.set(bus.dropped_total)

    return EventSourceResponse(
        stream(), ping=15, send_timeout=30, headers={"X-Accel-Buffering": "no"}
    )
