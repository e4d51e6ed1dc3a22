"""Documents in process memory (tests, ephemeral setups)."""

from __future__ import annotations

import threading
from typing import Any

import orjson

from symphony.store.documents import CasConflict, Doc, check_key, encode, version_of


class MemoryDocuments:
    """A Documents in a dict of canonical JSON; a lock makes `cas` atomic."""

    def __init__(self, *, where: str = "memory") -> None:
        self._where = where
        self._docs: dict[str, tuple[bytes, str]] = {}
        self._revision = 0
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return self._where

    async def get(self, key: str) -> Doc | None:
        return self.get_sync(key)

    def get_sync(self, key: str) -> Doc | None:
        found = self._docs.get(check_key(key))
        return None if found is None else Doc(key, orjson.loads(found[0]), found[1])

    async def put(self, key: str, value: Any) -> Doc:
        return self.put_sync(key, value)

    def put_sync(self, key: str, value: Any) -> Doc:
        check_key(key)
        body = encode(value)
        with self._lock:
            return self._store(key, body)

    async def cas(self, key: str, value: Any, *, expected: str | None) -> Doc:
        return self.cas_sync(key, value, expected=expected)

    def cas_sync(self, key: str, value: Any, *, expected: str | None) -> Doc:
        check_key(key)
        body = encode(value)
        with self._lock:
            current = self.get_sync(key)
            if (current.version if current else None) != expected:
                raise CasConflict(key, expected, current)
            return self._store(key, body)

    async def delete(self, key: str) -> bool:
        return self.delete_sync(key)

    def delete_sync(self, key: str) -> bool:
        with self._lock:
            found = self._docs.pop(check_key(key), None)
            if found is not None:
                self._revision += 1
            return found is not None

    async def items(self) -> dict[str, Doc]:
        return self.items_sync()

    def items_sync(self) -> dict[str, Doc]:
        docs = dict(self._docs)
        return {k: Doc(k, orjson.loads(body), v) for k, (body, v) in docs.items()}

    def revision(self) -> int:
        return self._revision

    def close(self) -> None:
        return None

    def _store(self, key: str, body: bytes) -> Doc:
        version = version_of(body)
        self._docs[key] = (body, version)
        self._revision += 1
        return Doc(key, orjson.loads(body), version)
