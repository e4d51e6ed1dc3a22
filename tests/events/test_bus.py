"""EventBus: replay after Last-Event-ID, reset when too old, filters, slow subscribers, close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson

from symphony.clock import FixedClock
from symphony.events.bus import Event, EventBus, Subscription

T0 = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def bus(size: int = 16) -> EventBus:
    return EventBus(FixedClock(T0), buffer_size=size)


def drain(sub: Subscription) -> list[Event]:
    out: list[Event] = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        if isinstance(item, Event):
            out.append(item)
    return out


async def collect(sub: Subscription, limit: float = 2.0) -> list[Event]:
    async def run() -> list[Event]:
        return [event async for event in sub]

    return await asyncio.wait_for(run(), limit)


def test_event_json_has_type_at_and_payload() -> None:
    b = bus()
    event = b.publish("policy.update", {"version": "abc"})
    assert event.id == 1
    assert orjson.loads(event.json()) == {
        "type": "policy.update",
        "at": "2026-11-22T17:00:00Z",
        "version": "abc",
    }


def test_ids_increase_and_events_carry_the_clock_time() -> None:
    clock = FixedClock(T0)
    b = EventBus(clock)
    first = b.publish("route.plan", {})
    clock.advance(timedelta(seconds=5))
    second = b.publish("route.plan", {})
    assert (first.id, second.id) == (1, 2)
    assert second.data()["at"] == "2026-11-22T17:00:05Z"


def test_replay_after_last_event_id() -> None:
    b = bus()
    for i in range(5):
        b.publish("route.plan", {"n": i})
    sub, replay, too_old = b.subscribe(last_event_id=3)
    assert not too_old
    assert [e.id for e in replay] == [4, 5]
    # Live events after the replay arrive on the queue, not in the replay.
    b.publish("route.plan", {"n": 5})
    assert [e.id for e in drain(sub)] == [6]


def test_replay_of_the_latest_id_is_empty_not_a_reset() -> None:
    b = bus()
    b.publish("route.plan", {})
    _sub, replay, too_old = b.subscribe(last_event_id=1)
    assert (replay, too_old) == ([], False)


def test_reset_when_the_id_fell_out_of_the_buffer() -> None:
    b = bus(size=3)
    for _ in range(6):
        b.publish("route.plan", {})
    # The buffer holds 4, 5, 6: id 3 can still be continued from, id 2 cannot.
    _s, replay, too_old = b.subscribe(last_event_id=3)
    assert ([e.id for e in replay], too_old) == ([4, 5, 6], False)
    _s, replay, too_old = b.subscribe(last_event_id=2)
    assert (replay, too_old) == ([], True)


def test_reset_when_the_id_is_from_a_previous_server_run() -> None:
    b = bus()
    b.publish("route.plan", {})
    _s, replay, too_old = b.subscribe(last_event_id=500)
    assert (replay, too_old) == ([], True)


def test_type_filter_applies_to_replay_and_live_events() -> None:
    b = bus()
    b.publish("route.plan", {})
    b.publish("policy.update", {"version": "v1"})
    sub, replay, _ = b.subscribe(["policy.update", "policy.rejected"], last_event_id=0)
    assert [e.type for e in replay] == ["policy.update"]
    b.publish("route.plan", {})
    b.publish("policy.rejected", {"errors": []})
    assert [e.type for e in drain(sub)] == ["policy.rejected"]


def test_buffer_is_bounded() -> None:
    b = bus(size=4)
    for _ in range(10):
        b.publish("route.plan", {})
    assert [e.id for e in b.buffer] == [7, 8, 9, 10]


async def test_slow_subscriber_is_dropped_without_affecting_others() -> None:
    b = bus(size=64)
    slow, _, _ = b.subscribe(max_queue=2)
    fast, _, _ = b.subscribe(max_queue=100)
    for i in range(10):
        b.publish("route.execute", {"n": i})
    assert slow.dropped
    assert slow not in b.subscribers
    assert b.dropped_total == 1
    assert fast in b.subscribers
    # The slow one still gets what it had queued, then its stream ends.
    assert [e.id for e in await collect(slow)] == [1, 2]
    b.publish("route.execute", {"n": 10})
    assert [e.id for e in drain(fast)] == list(range(1, 12))


async def test_close_ends_every_stream() -> None:
    b = bus()
    subs = [b.subscribe()[0] for _ in range(3)]
    tasks = [asyncio.create_task(collect(s)) for s in subs]
    b.publish("route.plan", {})
    await asyncio.sleep(0)
    b.close()
    results = await asyncio.gather(*tasks)
    assert [[e.id for e in r] for r in results] == [[1], [1], [1]]
    assert not b.subscribers


async def test_subscribing_after_close_ends_at_once() -> None:
    b = bus()
    b.close()
    sub, _, _ = b.subscribe()
    assert await collect(sub) == []


async def test_close_with_a_full_queue_still_ends_the_stream() -> None:
    b = bus()
    sub, _, _ = b.subscribe(max_queue=2)
    b.publish("route.plan", {})
    b.publish("route.plan", {})
    b.close()
    assert [e.id for e in await collect(sub)] == [1, 2]


def test_scrub_runs_before_anyone_sees_the_payload() -> None:
    b = EventBus(FixedClock(T0), scrub=lambda p: {k: v for k, v in p.items() if k != "secret"})
    sub, _, _ = b.subscribe()
    b.publish("error", {"secret": "sk-123", "code": "x"})
    (event,) = drain(sub)
    assert event.payload == {"code": "x"}
    assert b.buffer[0].payload == {"code": "x"}
