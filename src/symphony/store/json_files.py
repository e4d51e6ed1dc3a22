"""Documents as JSON files in a directory: `<dir>/<key>.json`, one file per key.

This is how data directories have always kept the kill switch (killswitch.json) and the
policy approvals (governance.json): a value is written as indented JSON to a synced temp
file and renamed over the old one, so a reader sees the old file or the new one, never
half of either. `cas` holds an exclusive `flock` on the directory while it reads, compares
and renames, which makes it atomic against other processes on the same machine. Keys are
file names: letters, digits, `.`, `_`, `-`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from symphony.errors import StoreError, ValidationFailed
from symphony.store.documents import CasConflict, Doc, doc_from, doc_read

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SUFFIX = ".json"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a synced temp file and a rename (all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class JsonFiles:
    """A Documents over `<directory>/<key>.json` files (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return str(self.directory)

    def path_of(self, key: str) -> Path:
        """The file that holds `key`."""
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValidationFailed(
                f"document key {key!r} is not a file name (letters, digits, '.', '_', '-')"
            )
        return self.directory / (key + SUFFIX)

    async def get(self, key: str) -> Doc | None:
        return await asyncio.to_thread(self.get_sync, key)

    def get_sync(self, key: str) -> Doc | None:
        path = self.path_of(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc}") from exc
        try:
            return doc_read(key, orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            raise StoreError(f"{path} is corrupt (not JSON: {exc}); fix or remove it") from exc

    async def put(self, key: str, value: Any) -> Doc:
        return await asyncio.to_thread(self.put_sync, key, value)

    def put_sync(self, key: str, value: Any) -> Doc:
        path = self.path_of(key)
        doc = doc_from(key, value)
        with self._locked():
            self._write(path, value)
        return doc

    async def cas(self, key: str, value: Any, *, expected: str | None) -> Doc:
        return await asyncio.to_thread(self.cas_sync, key, value, expected=expected)

    def cas_sync(self, key: str, value: Any, *, expected: str | None) -> Doc:
        path = self.path_of(key)
        doc = doc_from(key, value)
        with self._locked():
            current = self.get_sync(key)
            if (current.version if current else None) != expected:
                raise CasConflict(key, expected, current)
            self._write(path, value)
        return doc

    async def delete(self, key: str) -> bool:
        return await asyncio.to_thread(self.delete_sync, key)

    def delete_sync(self, key: str) -> bool:
        path = self.path_of(key)
        with self._locked():
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise StoreError(f"cannot remove {path}: {exc}") from exc
        return True

    async def items(self) -> dict[str, Doc]:
        return await asyncio.to_thread(self.items_sync)

    def items_sync(self) -> dict[str, Doc]:
        docs: dict[str, Doc] = {}
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            key = path.name[: -len(SUFFIX)]
            if _KEY_RE.match(key):
                found = self.get_sync(key)
                if found is not None:
                    docs[key] = found
        return docs

    def revision(self) -> int:
        # A rename makes a new inode, so (inode, mtime, size) of every file moves on each
        # write, even two writes within one mtime tick.
        try:
            files = sorted(self.directory.glob("*" + SUFFIX))
            stats = tuple((p.name, s.st_ino, s.st_mtime_ns, s.st_size) for p, s in _stats(files))
        except OSError as exc:
            raise StoreError(f"cannot list {self.directory}: {exc}") from exc
        return hash(stats)

    def close(self) -> None:
        return None

    def _write(self, path: Path, value: Any) -> None:
        body = orjson.dumps(value, option=orjson.OPT_INDENT_2)
        try:
            atomic_write(path, body)
        except OSError as exc:
            raise StoreError(f"cannot save {path}: {exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """This process's lock, then an exclusive flock on the directory (other processes)."""
        with self._lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.directory, os.O_RDONLY)
            except OSError as exc:
                raise StoreError(f"cannot open {self.directory}: {exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing the descriptor releases the flock


def _stats(files: list[Path]) -> Iterator[tuple[Path, os.stat_result]]:
    for path in files:
        with contextlib.suppress(FileNotFoundError):  # removed between listing and stat
            yield path, path.stat()
