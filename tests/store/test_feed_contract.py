"""Feed contract: increasing ids, replay after an id, too-old and future ids, filters,
a bounded buffer, slow subscribers dropped alone, close ends every stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

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


async def collect(sub: Subscription[Any]) -> list[Msg]:
    async def run() -> list[Msg]:
        return [m async for m in sub]

    return await asyncio.wait_for(run(), 2.0)


async def test_ids_increase_in_publish_order(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    assert feed.last_id == 0
    first, second = feed.publish(Msg("a")), feed.publish(Msg("b"))
    assert 0 < first.id < second.id == feed.last_id
    assert [m.id for m in feed.buffer] == [first.id, second.id]


async def test_replay_after_an_id_then_live_messages(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    sent = [feed.publish(Msg("a", n)) for n in range(5)]
    sub, replay, too_old = feed.subscribe(after=sent[2].id)
    assert not too_old
    assert [m.n for m in replay] == [3, 4]
    feed.publish(Msg("a", 5))
    assert [m.n for m in drain(sub)] == [5]  # live, not replayed twice
    _s, latest, too_old = feed.subscribe(after=feed.last_id)
    assert (latest, too_old) == ([], False)


async def test_too_old_and_future_ids_ask_for_a_reset(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    size = 8  # the backends in the suite are opened with an 8-message buffer
    sent = [feed.publish(Msg("a", n)) for n in range(size + 3)]
    oldest = feed.buffer[0]
    assert len(feed.buffer) == size
    _s, replay, too_old = feed.subscribe(after=oldest.id - 1)  # can still continue
    assert ([m.id for m in replay], too_old) == ([m.id for m in sent[-size:]], False)
    _s, replay, too_old = feed.subscribe(after=oldest.id - 2)
    assert (replay, too_old) == ([], True)
    _s, replay, too_old = feed.subscribe(after=feed.last_id + 500)  # an earlier run's id
    assert (replay, too_old) == ([], True)


async def test_filters_apply_to_replay_and_live(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    feed.publish(Msg("plan"))
    feed.publish(Msg("policy"))
    sub, replay, _ = feed.subscribe(after=0, accept=lambda m: m.kind == "policy")
    assert [m.kind for m in replay] == ["policy"]
    feed.publish(Msg("plan"))
    feed.publish(Msg("policy", 2))
    assert [(m.kind, m.n) for m in drain(sub)] == [("policy", 2)]


async def test_a_slow_subscriber_is_dropped_alone(feeds: Opener[Feed[Any]]) -> None:
    feed = feeds.open()
    slow, _, _ = feed.subscribe(max_queue=2)
    fast, _, _ = feed.subscribe(max_queue=100)
    sent = [feed.publish(Msg("x", n)) for n in range(6)]
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
    feed.close()
    assert [[m.kind for m in r] for r in await asyncio.gather(*tasks)] == [["a"]] * 3
    assert not feed.subscribers
    late, _, _ = feed.subscribe()
    assert await collect(late) == []
