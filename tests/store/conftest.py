"""Fixtures that parametrize the store contract suite over store_backends' lists."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from store_backends import (
    BUCKETS,
    COUNTERS,
    DOCUMENTS,
    FEEDS,
    JOBS,
    LEASES,
    LOGS,
    T0,
    Backend,
    Opener,
    Place,
    Ticks,
)

from symphony.clock import FixedClock
from symphony.store.counters import Counters, TokenBuckets
from symphony.store.documents import Documents
from symphony.store.jobs import JobQueue
from symphony.store.lease import Leases
from symphony.store.log import AppendLog
from symphony.store.pubsub import Feed

_names = itertools.count()


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    where = Place(tmp_path, FixedClock(T0), Ticks(), f"t{next(_names)}")
    yield where
    for cleanup in where.cleanups:
        cleanup()


def _opener(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[Any]]:
    opener: Opener[Any] = Opener(request.param, place)
    yield opener
    opener.close_all()


def _id(backend: Backend[Any]) -> str:
    return backend.name


@pytest.fixture(params=LOGS, ids=_id)
def logs(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[AppendLog]]:
    yield from _opener(request, place)


@pytest.fixture(params=DOCUMENTS, ids=_id)
def documents(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[Documents]]:
    yield from _opener(request, place)


@pytest.fixture(params=COUNTERS, ids=_id)
def counters(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[Counters]]:
    yield from _opener(request, place)


@pytest.fixture(params=BUCKETS, ids=_id)
def buckets(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[TokenBuckets]]:
    yield from _opener(request, place)


@pytest.fixture(params=FEEDS, ids=_id)
async def feeds(request: pytest.FixtureRequest, place: Place) -> AsyncIterator[Opener[Feed[Any]]]:
    # Async: a shared feed's background tasks end on the test's own event loop.
    opener: Opener[Feed[Any]] = Opener(request.param, place)
    yield opener
    for store in reversed(opener.opened):
        closing = getattr(store, "aclose", None)
        if closing is not None:
            await closing()
        else:
            store.close()


@pytest.fixture(params=LEASES, ids=_id)
def leases(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[Leases]]:
    yield from _opener(request, place)


@pytest.fixture(params=JOBS, ids=_id)
def jobs(request: pytest.FixtureRequest, place: Place) -> Iterator[Opener[JobQueue]]:
    yield from _opener(request, place)
