"""Counters contract: check-and-add, windows, all-or-nothing claims across keys, reserve →
settle/release, expiry that charges the estimate (injected clock), exact admission under
concurrency (in one store and across two), durability across reopen."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from store_backends import T0, Opener

from symphony.errors import ValidationFailed
from symphony.store.counters import Claim, Counters, Level

TTL = timedelta(minutes=5)


async def test_add_accumulates_and_levels_report_it(counters: Opener[Counters]) -> None:
    store = counters.open()
    assert (await store.add([Claim("a", 2)])).admitted
    assert (await store.add([Claim("a", 3), Claim("b", 1)])).admitted
    levels = await store.levels({"a": None, "b": None, "c": None})
    assert levels == {"a": Level(5, 0), "b": Level(1, 0), "c": Level(0, 0)}


async def test_a_claim_over_its_limit_is_refused_and_charges_nothing(
    counters: Opener[Counters],
) -> None:
    store = counters.open()
    await store.add([Claim("win", 8)])
    exact = await store.add([Claim("win", 2, limit=10)])
    assert exact.admitted  # reaching the limit exactly is allowed
    refused = await store.add([Claim("win", 1, limit=10)])
    assert not refused.admitted
    assert refused.refusal is not None
    assert (refused.refusal.key, refused.refusal.used, refused.refusal.available) == ("win", 10, 0)
    assert "1 wanted, 0 of 10 left" in refused.refusal.describe()
    assert (await store.levels({"win": None}))["win"].used == 10


async def test_claims_are_all_or_nothing_across_keys(counters: Opener[Counters]) -> None:
    store = counters.open()
    await store.add([Claim("budget", 9)])
    both = [Claim("window", 1, limit=50), Claim("budget", 2, limit=10)]
    refused = await store.add(both)
    assert refused.refusal is not None
    assert refused.refusal.key == "budget"
    held = await store.reserve(both, ttl=TTL)
    assert not held.admitted
    assert held.reservation is None
    levels = await store.levels({"window": None, "budget": None})
    assert levels == {"window": Level(0, 0), "budget": Level(9, 0)}
    # Two claims on one key count together.
    assert not (await store.add([Claim("k", 6, limit=10), Claim("k", 6, limit=10)])).admitted
    assert (await store.levels({"k": None}))["k"].used == 0


async def test_since_counts_only_the_window(counters: Opener[Counters]) -> None:
    store = counters.open()
    clock = counters.place.clock
    await store.add([Claim("rolling", 4)])
    clock.advance(timedelta(hours=2))
    await store.add([Claim("rolling", 3)])
    window = clock.now() - timedelta(hours=1)
    assert (await store.levels({"rolling": window}))["rolling"].used == 3
    assert (await store.levels({"rolling": None}))["rolling"].used == 7
    assert (await store.add([Claim("rolling", 7, limit=10, since=window)])).admitted
    assert not (await store.add([Claim("rolling", 1, limit=10, since=window)])).admitted
    # A charge can be dated (rebuilding from a ledger): it counts in its own window.
    await store.add([Claim("rolling", 5)], at=T0 - timedelta(days=1))
    assert (await store.levels({"rolling": T0}))["rolling"].used == 14


async def test_reserve_holds_and_settle_charges_the_actual(counters: Opener[Counters]) -> None:
    store = counters.open()
    held = await store.reserve([Claim("tokens", 700, limit=1000), Claim("req", 1)], ttl=TTL)
    assert held.admitted
    assert held.reservation is not None
    assert held.expires_at == T0 + TTL
    assert (await store.levels({"tokens": None}))["tokens"] == Level(0, 700)
    second = await store.reserve([Claim("tokens", 700, limit=1000)], ttl=TTL)
    assert not second.admitted  # the first reservation counts against the limit
    assert second.refusal is not None
    assert second.refusal.reserved == 700
    assert await store.settle(held.reservation, {"tokens": 650}) is True
    levels = await store.levels({"tokens": None, "req": None})
    assert levels == {"tokens": Level(650, 0), "req": Level(1, 0)}  # req: its estimate
    assert await store.settle(held.reservation) is False  # settled once, only once
    assert await store.release(held.reservation) is False


async def test_release_frees_what_was_held(counters: Opener[Counters]) -> None:
    store = counters.open()
    held = await store.reserve([Claim("cap", 50, limit=50)], ttl=TTL)
    assert held.reservation is not None
    assert not (await store.reserve([Claim("cap", 1, limit=50)], ttl=TTL)).admitted
    assert await store.release(held.reservation) is True
    assert (await store.levels({"cap": None}))["cap"] == Level(0, 0)
    assert (await store.reserve([Claim("cap", 50, limit=50)], ttl=TTL)).admitted
    assert await store.release("res_unknown") is False


async def test_an_expired_reservation_is_charged_its_estimate(counters: Opener[Counters]) -> None:
    store = counters.open()
    clock = counters.place.clock
    held = await store.reserve([Claim("cap", 30, limit=50)], ttl=timedelta(seconds=30))
    assert held.reservation is not None
    clock.advance(timedelta(seconds=29))
    assert (await store.levels({"cap": None}))["cap"] == Level(0, 30)
    clock.advance(timedelta(seconds=2))  # the holder crashed: it never settles
    assert (await store.levels({"cap": None}))["cap"] == Level(30, 0)
    # Charged at the instant it was made: it counts in windows that include that instant.
    assert (await store.levels({"cap": T0}))["cap"].used == 30
    assert (await store.levels({"cap": T0 + timedelta(seconds=1)}))["cap"].used == 0
    assert not (await store.add([Claim("cap", 21, limit=50)])).admitted
    assert await store.settle(held.reservation, {"cap": 1}) is False  # too late
    assert (await store.levels({"cap": None}))["cap"].used == 30


async def test_exactly_the_cap_is_admitted_under_concurrency(counters: Opener[Counters]) -> None:
    store = counters.open()
    claims = [Claim("model:5h", 1, limit=50), Claim("tenant:budget", 0.01, limit=100)]
    results = await asyncio.gather(*(store.reserve(claims, ttl=TTL) for _ in range(400)))
    admitted = [r for r in results if r.admitted]
    assert len(admitted) == 50
    assert all(
        r.refusal is not None and r.refusal.key == "model:5h"
        for r in results[50:]
        if not r.admitted
    )
    settled = await asyncio.gather(*(store.settle(r.reservation or "") for r in admitted))
    assert all(settled)
    assert (await store.levels({"model:5h": None}))["model:5h"] == Level(50, 0)


async def test_two_stores_on_one_place_never_both_take_the_last_unit(
    counters: Opener[Counters],
) -> None:
    if not counters.backend.shared:
        pytest.skip(f"{counters.backend.name} is private to one process")
    one, two = counters.open(), counters.open()  # as two workers would
    claim = [Claim("cap", 1, limit=50)]
    results = await asyncio.gather(
        *(store.reserve(claim, ttl=TTL) for _ in range(100) for store in (one, two))
    )
    assert sum(r.admitted for r in results) == 50
    assert (await one.levels({"cap": None}))["cap"] == Level(0, 50)


async def test_charges_and_reservations_survive_a_reopen(counters: Opener[Counters]) -> None:
    if not counters.backend.persistent:
        pytest.skip(f"{counters.backend.name} keeps nothing after close")
    store = counters.open()
    await store.add([Claim("cap", 10)])
    held = await store.reserve([Claim("cap", 5)], ttl=TTL)
    store.close()
    again = counters.open()
    assert (await again.levels({"cap": None}))["cap"] == Level(10, 5)
    counters.place.clock.advance(TTL)  # the process that held it is gone
    assert (await again.levels({"cap": None}))["cap"] == Level(15, 0)
    assert await again.settle(held.reservation or "") is False


async def test_bad_claims_are_refused(counters: Opener[Counters]) -> None:
    store = counters.open()
    with pytest.raises(ValidationFailed, match="amount"):
        await store.add([Claim("k", -1)])
    with pytest.raises(ValidationFailed, match="key"):
        await store.add([Claim("", 1)])
    with pytest.raises(ValidationFailed, match="ttl"):
        await store.reserve([Claim("k", 1)], ttl=timedelta(0))
    held = await store.reserve([Claim("k", 1)], ttl=TTL)
    with pytest.raises(ValidationFailed, match="holds no"):
        await store.settle(held.reservation or "", {"other": 1})
    assert (await store.levels({"k": None}))["k"] == Level(0, 1)
