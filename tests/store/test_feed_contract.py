"""Feed contract: increasing ids, replay after an id, too-old and future ids, filters,
a bounded buffer, slow subscribers dropped alone, close ends every stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from store_backends import Opener

from symphony.store.pubsub import Feed, Subscription


@dataclass
class Msg:
    kind: str
    n: int = 0
    id: int = 0


def drain(sub: Subscription[Any]) -> list[Msg]:
    out: list[Msg] = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        if isinstance(item, Msg):
            out.append(item)
    return out


async def settled(feed: Feed[Any]) -> None:
    """Wait for a shared feed to stamp and deliver what was published (Redis Streams assign
    ids in a background writer); the memory feed does it inside publish."""
    flush = getattr(feed, "flush", None)
    if flush is not None:
        await flush()


async def collect(sub: Subscription[Any]) -> list[Msg]:
    async def run() -> list[Msg]:
        return [m async for m in sub]

    return await asyncio.wait_for(run(), 2.0)


async def test_ids_increase_in_publish_order(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    assert feed.last_id == 0
    first, second = feed.publish(Msg("a")), feed.publish(Msg("b"))
    await settled(feed)
    assert 0 < first.id < second.id == feed.last_id
    assert [m.id for m in feed.buffer] == [first.id, second.id]


async def test_replay_after_an_id_then_live_messages(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    sent = [feed.publish(Msg("a", n)) for n in range(5)]
    await settled(feed)
    sub, replay, too_old = feed.subscribe(after=sent[2].id)
    assert not too_old
    assert [m.n for m in replay] == [3, 4]
    feed.publish(Msg("a", 5))
    await settled(feed)
    assert [m.n for m in drain(sub)] == [5]  # live, not replayed twice
    _s, latest, too_old = feed.subscribe(after=feed.last_id)
    assert (latest, too_old) == ([], False)


async def test_too_old_and_future_ids_ask_for_a_reset(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    size = 8  # the backends in the suite are opened with an 8-message buffer
    sent = [feed.publish(Msg("a", n)) for n in range(size + 3)]
    await settled(feed)
    assert [m.id for m in feed.buffer] == [m.id for m in sent[-size:]]
    evicted = sent[-size - 1]  # the newest message that fell out of the buffer
    _s, replay, too_old = feed.subscribe(after=evicted.id)  # saw it: can still continue
    assert ([m.id for m in replay], too_old) == ([m.id for m in sent[-size:]], False)
    _s, replay, too_old = feed.subscribe(after=evicted.id - 1)  # missed it
    assert (replay, too_old) == ([], True)
    _s, replay, too_old = feed.subscribe(after=feed.last_id + 500)  # an earlier run's id
    assert (replay, too_old) == ([], True)


async def test_filters_apply_to_replay_and_live(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    feed.publish(Msg("plan"))
    feed.publish(Msg("policy"))
    await settled(feed)
    sub, replay, _ = feed.subscribe(after=0, accept=lambda m: m.kind == "policy")
    assert [m.kind for m in replay] == ["policy"]
    feed.publish(Msg("plan"))
    feed.publish(Msg("policy", 2))
    await settled(feed)
    assert [(m.kind, m.n) for m in drain(sub)] == [("policy", 2)]


async def test_a_slow_subscriber_is_dropped_alone(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    slow, _, _ = feed.subscribe(max_queue=2)
    fast, _, _ = feed.subscribe(max_queue=100)
    sent = [feed.publish(Msg("x", n)) for n in range(6)]
    await settled(feed)
    assert slow.dropped
    assert slow not in feed.subscribers
    assert fast in feed.subscribers
    assert feed.dropped_total == 1
    assert [m.n for m in await collect(slow)] == [0, 1]
    assert [m.id for m in drain(fast)] == [m.id for m in sent]


async def test_close_ends_every_stream(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    subs = [feed.subscribe()[0] for _ in range(3)]
    tasks = [asyncio.create_task(collect(s)) for s in subs]
    feed.publish(Msg("a"))
    await asyncio.sleep(0)
    await settled(feed)
    feed.close()
    assert [[m.kind for m in r] for r in await asyncio.gather(*tasks)] == [["a"]] * 3
    assert not feed.subscribers
    late, _, _ = feed.subscribe()
    assert await collect(late) == []


async def test_two_feeds_on_one_place_share_one_stream(feeds: Opener[Feed[Any]]) -> None:
    if not feeds.backend.shared:
        pytest.skip(f"{feeds.backend.name} is private to one process")
    a, b = feeds.open(), feeds.open()  # as two replicas would
    await settled(b)  # b is reading before a publishes
    on_b, _, _ = b.subscribe()
    sent = [a.publish(Msg("route.execute", n)) for n in range(3)]
    await settled(a)
    got = await asyncio.wait_for(_take(on_b, 3), 5)
    assert [(m.n, m.id) for m in got] == [(m.n, m.id) for m in sent]  # same ids everywhere
    # A client of replica A reconnects to replica B with A's Last-Event-ID: nothing missed.
    _s, replay, too_old = b.subscribe(after=sent[0].id)
    assert ([m.n for m in replay], too_old) == ([1, 2], False)
    # A replica started later fills its buffer from the stream.
    c = feeds.open()
    await settled(c)
    assert [m.n for m in c.buffer] == [0, 1, 2]


async def _take(sub: Subscription[Any], n: int) -> list[Msg]:
    out: list[Msg] = []
    async for message in sub:
        out.append(message)
        if len(out) == n:
            return out
    return out
