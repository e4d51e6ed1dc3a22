"""The reservation book (windows/admission.py): holds count until settled, released or
expired; settled charges are the ledger's business and never count twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from symphony.clock import FixedClock
from symphony.store.counters import Claim, Refusal
from symphony.store.memory_counters import MemoryCounters
from symphony.windows.admission import Hold, ReservationBook, window_key

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = window_key("m")


def book(clock: FixedClock) -> ReservationBook:
    return ReservationBook.local(clock, ttl=timedelta(seconds=60))


async def test_holds_count_against_the_limit_until_settled() -> None:
    clock = FixedClock(T0)
    b = book(clock)
    first = await b.reserve([Claim(KEY, 1, limit=2)])
    second = await b.reserve([Claim(KEY, 1, limit=2)])
    assert isinstance(first, Hold)
    assert isinstance(second, Hold)
    assert b.reserved(KEY) == 2
    refused = await b.reserve([Claim(KEY, 1, limit=2)])
    assert isinstance(refused, Refusal)
    assert (refused.reserved, refused.limit) == (2, 2)
    # Settled: the ledger counts it now (the caller passes a smaller limit from then on);
    # the book does not count it a second time.
    assert await b.settle(first, {KEY: 1})
    assert b.reserved(KEY) == 1
    assert isinstance(await b.reserve([Claim(KEY, 1, limit=1 + 1)]), Hold)


async def test_a_release_gives_the_units_back() -> None:
    b = book(FixedClock(T0))
    hold = await b.reserve([Claim(KEY, 1, limit=1)])
    assert isinstance(hold, Hold)
    assert await b.release(hold)
    assert b.reserved(KEY) == 0
    assert b.live == 0
    assert not await b.release(hold)  # twice: nothing changes


async def test_an_unsettled_hold_counts_until_its_ttl_then_stops() -> None:
    clock = FixedClock(T0)
    b = book(clock)
    assert isinstance(await b.reserve([Claim(KEY, 1, limit=1)]), Hold)  # its caller crashed
    clock.advance(timedelta(seconds=59))
    assert isinstance(await b.reserve([Claim(KEY, 1, limit=1)]), Refusal)
    assert b.reserved(KEY) == 1
    clock.advance(timedelta(seconds=2))
    assert b.reserved(KEY) == 0
    assert isinstance(await b.reserve([Claim(KEY, 1, limit=1)]), Hold)


async def test_every_claim_or_none() -> None:
    b = book(FixedClock(T0))
    other = window_key("budget")
    refused = await b.reserve([Claim(KEY, 1, limit=5), Claim(other, 2, limit=1)])
    assert isinstance(refused, Refusal)
    assert refused.key == other
    assert b.reserved(KEY) == 0  # the first claim was not taken either


async def test_shared_books_count_every_replicas_settled_charges_since_the_start() -> None:
    """Two replicas' books on one store: claims keep their `since`, so charges settled by
    either replica count against the other's claims (and charges before `since` do not)."""
    clock = FixedClock(T0)
    store = MemoryCounters(clock)
    a, b = (ReservationBook(store, clock, ttl=timedelta(seconds=60), shared=True) for _ in "ab")
    start = T0 - timedelta(hours=1)
    await store.add([Claim(KEY, 5)], at=start - timedelta(seconds=1))  # before the window
    admitted = 0
    for i in range(5):
        book_ = (a, b)[i % 2]
        hold = await book_.reserve([Claim(KEY, 1, limit=3, since=start)])
        if isinstance(hold, Hold):
            admitted += 1
            assert await book_.settle(hold, {KEY: 1})
    assert admitted == 3
    refused = await a.reserve([Claim(KEY, 1, limit=3, since=start)])
    assert isinstance(refused, Refusal)
    assert (refused.used, refused.reserved) == (3, 0)


async def test_an_embedded_book_counts_only_reservations_whatever_since_says() -> None:
    clock = FixedClock(T0)
    store = MemoryCounters(clock)
    b = ReservationBook(store, clock, ttl=timedelta(seconds=60))
    await store.add([Claim(KEY, 5)], at=T0)
    assert isinstance(await b.reserve([Claim(KEY, 1, limit=1, since=T0)]), Hold)


async def test_a_call_allowed_longer_than_the_ttl_keeps_its_hold_while_it_runs() -> None:
    clock = FixedClock(T0)
    b = book(clock)  # ttl 60 s
    hold = await b.reserve([Claim(KEY, 1, limit=1)], at_least=timedelta(seconds=600))
    assert isinstance(hold, Hold)
    clock.advance(timedelta(seconds=300))
    assert b.reserved(KEY) == 1
    assert isinstance(await b.reserve([Claim(KEY, 1, limit=1)]), Refusal)
