"""Documents on Redis: one collection is a pair of hashes, values and versions.

`P:d` maps key → canonical JSON, `P:v` key → version (computed here from the canonical
JSON, as every backend does), `P:rev` counts changes. Writes are Lua scripts, so
compare-and-set is atomic against every process and replica. `revision()` reads `P:rev`
with the blocking client: one loopback round trip (~0.1 ms), polled about once a second.
"""

from __future__ import annotations

from typing import Any

import orjson

from symphony.errors import StoreError
from symphony.store.documents import CasConflict, Doc, check_key, doc_from, doc_read
from symphony.store.redis_conn import RedisConn

# KEYS: values, versions, rev. ARGV: key, json, version, expected ('*' = any, '' = absent).
_WRITE = """
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[4] ~= '*' and (cur or '') ~= ARGV[4] then
  return {'conflict', redis.call('HGET', KEYS[1], ARGV[1]) or ''}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('INCR', KEYS[3])
return {'ok'}
"""
_DELETE = """
local gone = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if gone > 0 then redis.call('INCR', KEYS[3]) end
return gone
"""


class RedisDocuments:
    """A Documents (see store.documents) in two Redis hashes."""

    def __init__(self, conn: RedisConn, name: str) -> None:
        self._conn = conn
        self._name = name
        base = conn.key("docs", name)
        self._keys = [f"{base}:d", f"{base}:v", f"{base}:rev"]
        self._write_a = conn.aio.register_script(_WRITE)
        self._delete_a = conn.aio.register_script(_DELETE)
        self._write_s: Any = None
        self._delete_s: Any = None
        self._owns = False

    @classmethod
    def open(cls, url: str, name: str, *, prefix: str = "symphony") -> RedisDocuments:
        docs = cls(RedisConn(url, prefix), name)
        docs._owns = True
        return docs

    @property
    def where(self) -> str:
        return f"{self._conn.where} (documents {self._name})"

    async def get(self, key: str) -> Doc | None:
        check_key(key)
        raw = await self._conn.call(lambda: self._conn.aio.hget(self._keys[0], key))
        return None if raw is None else self._doc(key, raw)

    def get_sync(self, key: str) -> Doc | None:
        check_key(key)
        raw = self._conn.call_sync(lambda: self._conn.sync.hget(self._keys[0], key))
        return None if raw is None else self._doc(key, raw)

    async def put(self, key: str, value: Any) -> Doc:
        return await self._awrite(key, value, "*")

    def put_sync(self, key: str, value: Any) -> Doc:
        return self._swrite(key, value, "*")

    async def cas(self, key: str, value: Any, *, expected: str | None) -> Doc:
        return await self._awrite(key, value, expected or "")

    def cas_sync(self, key: str, value: Any, *, expected: str | None) -> Doc:
        return self._swrite(key, value, expected or "")

    async def delete(self, key: str) -> bool:
        check_key(key)
        gone = await self._conn.call(lambda: self._delete_a(keys=self._keys, args=[key]))
        return bool(gone)

    def delete_sync(self, key: str) -> bool:
        check_key(key)
        gone = self._conn.call_sync(lambda: self._sync_scripts()[1](keys=self._keys, args=[key]))
        return bool(gone)

    async def items(self) -> dict[str, Doc]:
        found = await self._conn.call(lambda: self._conn.aio.hgetall(self._keys[0]))
        return self._all(found)

    def items_sync(self) -> dict[str, Doc]:
        return self._all(self._conn.call_sync(lambda: self._conn.sync.hgetall(self._keys[0])))

    def revision(self) -> int:
        return int(self._conn.call_sync(lambda: self._conn.sync.get(self._keys[2])) or 0)

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    def _sync_scripts(self) -> tuple[Any, Any]:
        if self._write_s is None:
            self._write_s = self._conn.sync.register_script(_WRITE)
            self._delete_s = self._conn.sync.register_script(_DELETE)
        return self._write_s, self._delete_s

    def _args(self, key: str, value: Any, expected: str) -> tuple[Doc, list[Any]]:
        check_key(key)
        doc = doc_from(key, value)
        canonical = orjson.dumps(doc.value, option=orjson.OPT_SORT_KEYS)
        return doc, [key, canonical, doc.version, expected]

    async def _awrite(self, key: str, value: Any, expected: str) -> Doc:
        doc, args = self._args(key, value, expected)
        found = await self._conn.call(lambda: self._write_a(keys=self._keys, args=args))
        return self._written(doc, expected, found)

    def _swrite(self, key: str, value: Any, expected: str) -> Doc:
        doc, args = self._args(key, value, expected)
        found = self._conn.call_sync(lambda: self._sync_scripts()[0](keys=self._keys, args=args))
        return self._written(doc, expected, found)

    def _written(self, doc: Doc, expected: str, found: list[Any]) -> Doc:
        if _text(found[0]) == "ok":
            return doc
        current = None if not found[1] else self._doc(doc.key, found[1])
        raise CasConflict(doc.key, expected or None, current)

    def _all(self, found: dict[Any, Any]) -> dict[str, Doc]:
        docs = (self._doc(_text(k), v) for k, v in found.items())
        return {d.key: d for d in sorted(docs, key=lambda d: d.key)}

    def _doc(self, key: str, raw: bytes | str) -> Doc:
        try:
            return doc_read(key, orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            raise StoreError(f"{self.where}: document {key!r} is corrupt ({exc})") from exc


def _text(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)
