"""Documents contract: JSON round trips, versions, compare-and-set conflicts and atomicity,
delete/items/revision, durability across reopen, and a second writer (process)."""

from __future__ import annotations

import asyncio

import pytest
from store_backends import Opener

from symphony.errors import ConflictError, ValidationFailed
from symphony.store.documents import CasConflict, Documents


async def test_missing_key_is_none(documents: Opener[Documents]) -> None:
    docs = documents.open()
    assert await docs.get("absent") is None
    assert docs.get_sync("absent") is None
    assert await docs.items() == {}


async def test_put_then_get_returns_the_json_form(documents: Opener[Documents]) -> None:
    docs = documents.open()
    value = {"kills": [{"scope": "all", "target": None}], "n": 3, "x": 1.5, "t": ("a", "b")}
    stored = await docs.put("state", value)
    assert stored.value == {**value, "t": ["a", "b"]}
    found = await docs.get("state")
    assert found is not None
    assert found.value == stored.value
    assert found.version == stored.version
    assert docs.get_sync("state") == found
    found.value["n"] = 99  # the caller's copy, not the stored document
    again = await docs.get("state")
    assert again is not None
    assert again.value["n"] == 3


async def test_versions_follow_the_value(documents: Opener[Documents]) -> None:
    docs = documents.open()
    first = await docs.put("k", {"a": 1, "b": 2})
    same = docs.put_sync("k", {"b": 2, "a": 1})
    other = await docs.put("k", {"a": 2})
    assert first.version == same.version  # equal JSON, equal version
    assert other.version != first.version
    assert other.version


async def test_values_that_are_not_json_are_refused(documents: Opener[Documents]) -> None:
    docs = documents.open()
    with pytest.raises(ValidationFailed, match="JSON"):
        await docs.put("k", {"x": object()})
    assert await docs.get("k") is None


async def test_cas_creates_only_when_absent_and_replaces_only_its_version(
    documents: Opener[Documents],
) -> None:
    docs = documents.open()
    created = await docs.cas("k", {"v": 1}, expected=None)
    with pytest.raises(CasConflict) as conflict:
        await docs.cas("k", {"v": 2}, expected=None)
    assert conflict.value.current == created
    assert isinstance(conflict.value, ConflictError)  # a 409 if it ever reaches the API
    replaced = docs.cas_sync("k", {"v": 2}, expected=created.version)
    with pytest.raises(CasConflict, match="changed meanwhile"):
        await docs.cas("k", {"v": 3}, expected=created.version)  # stale
    found = await docs.get("k")
    assert found == replaced
    assert found is not None
    assert found.value == {"v": 2}
    with pytest.raises(CasConflict):
        await docs.cas("other", {"v": 1}, expected=replaced.version)  # absent, not expected


async def test_concurrent_cas_increments_lose_nothing(documents: Opener[Documents]) -> None:
    docs = documents.open()
    await docs.put("counter", {"n": 0})

    async def increment() -> int:
        tries = 0
        while True:
            tries += 1
            current = await docs.get("counter")
            assert current is not None
            try:
                await docs.cas("counter", {"n": current.value["n"] + 1}, expected=current.version)
                return tries
            except CasConflict:
                await asyncio.sleep(0)

    await asyncio.gather(*(increment() for _ in range(20)))
    found = await docs.get("counter")
    assert found is not None
    assert found.value == {"n": 20}


async def test_delete_items_and_revision(documents: Opener[Documents]) -> None:
    docs = documents.open()
    start = docs.revision()
    await docs.put("a", {"n": 1})
    after_put = docs.revision()
    assert after_put != start
    await docs.put("b", [1, 2])
    items = await docs.items()
    assert {k: d.value for k, d in items.items()} == {"a": {"n": 1}, "b": [1, 2]}
    assert docs.items_sync() == items
    assert await docs.delete("a") is True
    assert docs.delete_sync("a") is False
    assert await docs.get("a") is None
    assert docs.revision() != after_put
    assert list(await docs.items()) == ["b"]


async def test_documents_survive_a_reopen(documents: Opener[Documents]) -> None:
    if not documents.backend.persistent:
        pytest.skip(f"{documents.backend.name} keeps nothing after close")
    docs = documents.open()
    stored = await docs.put("state", {"kills": ["x"]})
    docs.close()
    again = documents.open()
    assert await again.get("state") == stored


async def test_a_second_writer_is_seen_and_cas_holds_across_writers(
    documents: Opener[Documents],
) -> None:
    if not documents.backend.shared:
        pytest.skip(f"{documents.backend.name} is private to one process")
    server, cli = documents.open(), documents.open()
    seen = server.revision()
    created = await asyncio.to_thread(cli.put_sync, "keys", {"n": 1})
    assert server.revision() != seen  # how the server learns the CLI changed something
    assert await server.get("keys") == created
    await server.cas("keys", {"n": 2}, expected=created.version)
    with pytest.raises(CasConflict):
        await asyncio.to_thread(cli.cas_sync, "keys", {"n": 3}, expected=created.version)
