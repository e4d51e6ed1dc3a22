"""The documents seam: JSON values by key, versioned for compare-and-set.

Contract (every backend; the shared suite in tests/store/ checks it)
--------------------------------------------------------------------
- A `Documents` is one collection. Keys are non-empty strings (a backend may restrict
  them further, e.g. to file names, and says so with ValidationFailed). Values are what
  orjson encodes (dicts with str keys, lists, str, int, float, bool, None); they come back
  as their JSON form (tuples as lists), never as the caller's object.
- Every write is durable when it returns. `Doc.version` is an opaque string that changes
  whenever the value changes (backends derive it from the canonical JSON, so writing an
  equal value keeps the version: that is harmless for compare-and-set).
- `cas(key, value, expected=v)` writes only if the current version is `v`, and
  `expected=None` only if the key is absent; otherwise it raises CasConflict carrying the
  current document, and writes nothing. It is atomic against every other writer of the
  collection, in this process or another.
- `revision()` is cheap to poll and changes whenever a document of the collection changes
  (by any process); it may also change when nothing visible did, never the other way.
  Compare values from one instance only. A networked backend may answer it from a value
  its change notifications keep current (it must not block on a round trip).
- Sync variants are for the CLI, start-up code and worker threads; never call them on a
  running event loop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from symphony.errors import ConflictError, ValidationFailed

MAX_KEY = 256


@dataclass(frozen=True, slots=True)
class Doc:
    """One stored document: its key, its JSON value and the version for `cas`."""

    key: str
    value: Any
    version: str


class CasConflict(ConflictError):
    """A compare-and-set found another version (or a document where none was expected)."""

    def __init__(self, key: str, expected: str | None, current: Doc | None) -> None:
        found = "no document" if current is None else f"version {current.version}"
        wanted = "no document" if expected is None else f"version {expected}"
        super().__init__(f"document {key!r} changed meanwhile: expected {wanted}, found {found}")
        self.key = key
        self.expected = expected
        self.current = current


class Documents(Protocol):
    """A collection of JSON documents by key (see the module docstring for the contract)."""

    @property
    def where(self) -> str:
        """Where the documents live, for messages."""
        ...

    async def get(self, key: str) -> Doc | None:
        """The document at `key`, or None."""
        ...

    def get_sync(self, key: str) -> Doc | None:
        """Blocking `get`."""
        ...

    async def put(self, key: str, value: Any) -> Doc:
        """Write `value` at `key` unconditionally; return the stored document."""
        ...

    def put_sync(self, key: str, value: Any) -> Doc:
        """Blocking `put`."""
        ...

    async def cas(self, key: str, value: Any, *, expected: str | None) -> Doc:
        """Write only over version `expected` (None: only when absent), else CasConflict."""
        ...

    def cas_sync(self, key: str, value: Any, *, expected: str | None) -> Doc:
        """Blocking `cas`."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove `key`; return whether it existed."""
        ...

    def delete_sync(self, key: str) -> bool:
        """Blocking `delete`."""
        ...

    async def items(self) -> dict[str, Doc]:
        """Every document of the collection."""
        ...

    def items_sync(self) -> dict[str, Doc]:
        """Blocking `items`."""
        ...

    def revision(self) -> int:
        """A value that changes when any document changes (cheap; blocking)."""
        ...

    def close(self) -> None:
        """Release what the collection opened."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that are not short non-empty strings."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise ValidationFailed(f"document key must be 1-{MAX_KEY} characters, got {key!r}")
    return key


def encode(value: Any) -> bytes:
    """The canonical JSON of a value (keys sorted); ValidationFailed when not JSON-able."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:  # orjson.JSONEncodeError subclasses TypeError
        raise ValidationFailed(f"document value is not JSON-serialisable: {exc}") from exc


def version_of(canonical: bytes) -> str:
    """The version of a value, from its canonical JSON."""
    return hashlib.sha256(canonical).hexdigest()[:32]


def doc_from(key: str, value: Any) -> Doc:
    """The Doc a write of `value` stores: the value in its JSON form, and its version."""
    canonical = encode(value)
    return Doc(key, orjson.loads(canonical), version_of(canonical))


def doc_read(key: str, decoded: Any) -> Doc:
    """A Doc for a value just decoded from storage (already in JSON form)."""
    return Doc(key, decoded, version_of(encode(decoded)))
