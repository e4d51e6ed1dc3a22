"""Content hashes of fetched pages (no parser import: snapshots verify without trafilatura)."""

from __future__ import annotations

import hashlib


def sha256_hex(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()
