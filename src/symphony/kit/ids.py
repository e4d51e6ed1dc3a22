"""Request-scoped ids (plans, audit records): unique, url-safe, cheap on the hot path."""

from __future__ import annotations

import base64
import random
import secrets

__all__ = ["new_id"]

# Ids must be unique, not secret (reading audit needs an operator key): a PRNG seeded from
# the OS once is enough and avoids a getrandom() syscall per id on the hot path.
_ids = random.Random(secrets.randbits(128))


def new_id(prefix: str) -> str:
    """Return `prefix_` + 20 url-safe characters (120 random bits)."""
    raw = _ids.getrandbits(120).to_bytes(15, "big")
    return f"{prefix}_{base64.urlsafe_b64encode(raw).decode()}"
