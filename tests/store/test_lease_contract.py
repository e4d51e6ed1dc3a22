"""Leases contract: one holder at a time, renewal, expiry (injected clock), fencing tokens,
release, exclusivity under concurrency and across two stores, durability."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from store_backends import T0, Opener

from symphony.errors import ValidationFailed
from symphony.store.lease import Leases

TTL = timedelta(seconds=30)


async def test_one_holder_at_a_time_until_it_expires(leases: Opener[Leases]) -> None:
    store, clock = leases.open(), leases.place.clock
    a = await store.acquire("scheduler", "worker-a", TTL)
    assert a is not None
    assert (a.holder, a.expires_at) == ("worker-a", T0 + TTL)
    assert await store.acquire("scheduler", "worker-b", TTL) is None
    assert await store.current("scheduler") == a
    assert await store.acquire("other-job", "worker-b", TTL) is not None  # names are separate
    clock.advance(TTL)
    assert await store.current("scheduler") is None
    b = await store.acquire("scheduler", "worker-b", TTL)
    assert b is not None
    assert b.token > a.token  # a fencing token: a's late writes can be refused
    assert await store.renew(a, TTL) is None  # a lost it
    assert await store.release(a) is False


async def test_the_holder_renews_and_keeps_its_token(leases: Opener[Leases]) -> None:
    store, clock = leases.open(), leases.place.clock
    a = await store.acquire("job", "w", TTL)
    assert a is not None
    clock.advance(timedelta(seconds=20))
    renewed = await store.renew(a, TTL)
    assert renewed is not None
    assert (renewed.token, renewed.expires_at) == (a.token, clock.now() + TTL)
    clock.advance(timedelta(seconds=20))  # past the first expiry, inside the renewal
    assert await store.acquire("job", "other", TTL) is None
    again = await store.acquire("job", "w", TTL)  # re-acquiring our own lease renews it
    assert again is not None
    assert again.token == a.token


async def test_release_hands_it_over_with_a_new_token(leases: Opener[Leases]) -> None:
    store = leases.open()
    a = await store.acquire("job", "w1", TTL)
    assert a is not None
    assert await store.release(a) is True
    assert await store.release(a) is False
    assert await store.current("job") is None
    b = await store.acquire("job", "w2", TTL)
    assert b is not None
    assert b.token > a.token


async def test_exactly_one_of_many_concurrent_acquirers_wins(leases: Opener[Leases]) -> None:
    store = leases.open()
    grants = await asyncio.gather(*(store.acquire("job", f"w{n}", TTL) for n in range(50)))
    assert sum(g is not None for g in grants) == 1


async def test_two_stores_on_one_place_exclude_each_other(leases: Opener[Leases]) -> None:
    if not leases.backend.shared:
        pytest.skip(f"{leases.backend.name} is private to one process")
    one, two = leases.open(), leases.open()
    grants = await asyncio.gather(
        *(s.acquire("job", f"{i}-{n}", TTL) for n in range(20) for i, s in enumerate((one, two)))
    )
    (winner,) = [g for g in grants if g is not None]
    assert await one.current("job") == await two.current("job") == winner


async def test_a_grant_survives_a_reopen(leases: Opener[Leases]) -> None:
    if not leases.backend.persistent:
        pytest.skip(f"{leases.backend.name} keeps nothing after close")
    store = leases.open()
    a = await store.acquire("job", "w", TTL)
    store.close()
    again = leases.open()
    assert await again.current("job") == a
    assert await again.acquire("job", "other", TTL) is None


async def test_bad_arguments_are_refused(leases: Opener[Leases]) -> None:
    store = leases.open()
    with pytest.raises(ValidationFailed, match="ttl"):
        await store.acquire("job", "w", timedelta(0))
    with pytest.raises(ValidationFailed, match="holder"):
        await store.acquire("job", "", TTL)
