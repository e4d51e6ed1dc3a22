"""AppendLog contract: ordering, one linear chain under concurrency, atomic failures,
queries, durability across reopen, and one chain across two writers (processes)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable

import pytest
from store_backends import LAYOUT, Opener

from symphony.errors import StoreError, ValidationFailed
from symphony.store.log import GENESIS, AppendLog, LogHead, LogQuery, Row


def chained(
    body: str, kind: str = "note", at: str = "2026-11-22T17:00:00", key: str | None = None
) -> Callable[[LogHead], list[Row]]:
    """A builder that links its row to the head, as the audit trail does."""

    def build(head: LogHead) -> list[Row]:
        seq = head.seq + 1
        digest = hashlib.sha256(f"{head.link}|{seq}|{body}".encode()).hexdigest()
        return [(seq, key or f"id-{body}", kind, at, body.encode(), head.link, digest)]

    return build


def assert_one_chain(rows: list[Row]) -> None:
    """Sequence numbers 1..n with no gap, each row linked to its predecessor's hash."""
    rows = sorted(rows)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    link = GENESIS
    for row in rows:
        assert row[5] == link, f"row {row[0]} does not link to row {row[0] - 1}"
        link = row[6]


async def everything(log: AppendLog) -> list[Row]:
    return await log.query(LogQuery(newest_first=False, limit=1000))


async def test_an_empty_log_starts_at_genesis(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    assert log.head() == LogHead(0, GENESIS)
    assert log.mark() is None
    assert await everything(log) == []
    assert await log.get("nope") is None


async def test_append_numbers_rows_and_moves_the_head(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    (first,) = await log.append(chained("a"))
    (second,) = log.append_sync(chained("b"))
    assert (first[0], second[0]) == (1, 2)
    assert second[5] == first[6]
    assert log.head() == LogHead(2, second[6])
    assert log.mark() == LogHead(2, second[6])
    assert await log.get("id-a") == first
    assert log.get_sync("id-b") == second
    assert first[4] == b"a"  # bytes come back as bytes


async def test_one_append_can_add_several_rows(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    await log.append(chained("a"))

    def two(head: LogHead) -> list[Row]:
        (one,) = chained("b")(head)
        (two,) = chained("c")(LAYOUT.head_of(one))
        return [one, two]

    rows = await log.append(two)
    assert [r[0] for r in rows] == [2, 3]
    assert_one_chain(await everything(log))


async def test_rows_out_of_sequence_are_refused_and_nothing_changes(
    logs: Opener[AppendLog],
) -> None:
    log = logs.open()
    await log.append(chained("a"))
    before = log.head()

    def skips(head: LogHead) -> list[Row]:
        (row,) = chained("x")(head)
        return [(row[0] + 1, *row[1:])]

    with pytest.raises(ValidationFailed, match="sequence"):
        await log.append(skips)
    with pytest.raises(ValidationFailed, match="values"):
        await log.append(lambda head: [(head.seq + 1, "short")])
    assert log.head() == before
    assert len(await everything(log)) == 1


async def test_a_duplicate_key_fails_alone(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    await log.append(chained("a"))
    results = await asyncio.gather(
        log.append(chained("b")),
        log.append(chained("a2", key="id-a")),
        log.append(chained("c")),
        return_exceptions=True,
    )
    assert isinstance(results[1], StoreError)
    rows = await everything(log)
    assert sorted(r[1] for r in rows) == ["id-a", "id-b", "id-c"]
    assert_one_chain(rows)


async def test_200_concurrent_appends_form_one_linear_chain(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    appended = await asyncio.gather(*(log.append(chained(str(n))) for n in range(200)))
    assert len(appended) == 200
    assert_one_chain(await everything(log))


async def test_appends_from_threads_and_coroutines_share_the_chain(
    logs: Opener[AppendLog],
) -> None:
    log = logs.open()

    def worker(w: int) -> None:
        for i in range(25):
            log.append_sync(chained(f"t{w}-{i}"))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    await asyncio.gather(*(log.append(chained(f"c{n}")) for n in range(100)))
    for t in threads:
        await asyncio.to_thread(t.join)
    rows = await everything(log)
    assert len(rows) == 200
    assert_one_chain(rows)


async def test_query_filters_orders_and_pages(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    for n in range(6):
        kind = "plan" if n % 2 else "exec"
        await log.append(chained(str(n), kind=kind, at=f"2026-11-22T17:00:0{n}"))
    newest = await log.query(LogQuery())
    assert [r[0] for r in newest] == [6, 5, 4, 3, 2, 1]
    oldest = log.query_sync(LogQuery(newest_first=False, limit=2))
    assert [r[0] for r in oldest] == [1, 2]
    assert [r[0] for r in await log.query(LogQuery(equals={"kind": "plan"}))] == [6, 4, 2]
    since = LogQuery(at_least={"at": "2026-11-22T17:00:03"})
    assert [r[0] for r in await log.query(since)] == [6, 5, 4]
    page = LogQuery(before_seq=4, after_seq=1)
    assert [r[0] for r in await log.query(page)] == [3, 2]
    both = LogQuery(equals={"kind": "exec"}, at_least={"at": "2026-11-22T17:00:02"})
    assert [r[0] for r in log.query_sync(both)] == [5, 3]


async def test_bad_queries_are_refused(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    for bad in (0, 1001):
        with pytest.raises(ValidationFailed, match="limit"):
            await log.query(LogQuery(limit=bad))
    with pytest.raises(ValidationFailed, match="no column"):
        await log.query(LogQuery(equals={"nope": 1}))


async def test_appends_after_close_are_refused(logs: Opener[AppendLog]) -> None:
    log = logs.open()
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.append_sync(chained("late"))


async def test_rows_and_head_survive_a_reopen(logs: Opener[AppendLog]) -> None:
    if not logs.backend.persistent:
        pytest.skip(f"{logs.backend.name} keeps nothing after close")
    log = logs.open()
    for n in range(3):
        await log.append(chained(str(n)))
    head = log.head()
    log.close()
    again = logs.open()
    assert again.head() == head
    assert again.mark() == head
    (row,) = await again.append(chained("after"))
    assert (row[0], row[5]) == (4, head.link)
    assert_one_chain(await everything(again))


async def test_two_writers_on_one_log_keep_one_chain(logs: Opener[AppendLog]) -> None:
    if not logs.backend.shared:
        pytest.skip(f"{logs.backend.name} is private to one process")
    server, cli = logs.open(), logs.open()  # as two processes would

    async def cli_side() -> None:
        for n in range(50):
            await asyncio.to_thread(cli.append_sync, chained(f"cli{n}"))

    await asyncio.gather(cli_side(), *(server.append(chained(f"srv{n}")) for n in range(100)))
    rows = await everything(server)
    assert len(rows) == 150
    assert_one_chain(rows)
    assert server.head() == cli.head()
