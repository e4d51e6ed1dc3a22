"""Audit records and their canonical, hash-chained encoding.

A record's hash covers a canonical encoding of every stored field, so `verify` can recompute
it from exactly the bytes in the database:

    b"symphony.audit.v1\\n" + orjson([seq, id, type, at, actor, tenant, prev_hash])
                             + b"\\n" + payload

where `payload` is the stored BLOB (orjson with sorted keys) and `at` is the stored ISO text.
orjson escapes newlines inside strings, so the separator cannot be forged by field content.
The hash is SHA-256, or HMAC-SHA256 when a secret is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from symphony.errors import ValidationFailed

GENESIS_HASH = "0" * 64
ID_PREFIX = "aud_"
_ID_RE = re.compile(r"^aud_[A-Za-z0-9_-]{20}$")
_DOMAIN = b"symphony.audit.v1\n"


# (seq, id, type, at, actor, tenant, payload, prev_hash, hash) in column order.
StoredRow = tuple[int, str, str, str, str | None, str | None, bytes, str, str]
COLUMNS = "seq, id, type, at, actor, tenant, payload, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One link of the chain: what happened, when, by whom, and the hashes that bind it."""

    seq: int
    id: str
    type: str
    at: datetime
    actor: str | None
    tenant: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (instant as ISO 8601)."""
        return {
            "seq": self.seq,
            "id": self.id,
            "type": self.type,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "tenant": self.tenant,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def new_audit_id() -> str:
    """Return a fresh id: "aud_" + 20 url-safe characters (120 random bits)."""
    return ID_PREFIX + secrets.token_urlsafe(15)


def check_audit_id(value: str) -> str:
    """Reject ids that new_audit_id could not have produced."""
    if not _ID_RE.match(value):
        raise ValidationFailed(
            f"audit id {value!r} is malformed; expected 'aud_' + 20 url-safe chars"
        )
    return value


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Encode a payload canonically (orjson, keys sorted at every level)."""
    if not isinstance(payload, dict):
        raise ValidationFailed(f"audit payload must be a JSON object, got {type(payload).__name__}")
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:  # orjson.JSONEncodeError subclasses TypeError
        raise ValidationFailed(f"audit payload is not JSON-serialisable: {exc}") from exc


def format_at(at: datetime) -> str:
    """Render an instant the one way the log stores it (UTC, microseconds)."""
    if at.tzinfo is None:
        raise ValidationFailed("audit instants must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_message(
    *,
    seq: int,
    id: str,
    type: str,
    at: str,
    actor: str | None,
    tenant: str | None,
    payload: bytes,
    prev_hash: str,
) -> bytes:
    """Return the exact bytes the record hash is computed over."""
    header = orjson.dumps([seq, id, type, at, actor, tenant, prev_hash])
    return _DOMAIN + header + b"\n" + payload


def compute_hash(message: bytes, hmac_secret: str | None) -> str:
    """Return the hex SHA-256 (or HMAC-SHA256 with a secret) of a canonical message."""
    if hmac_secret:
        return hmac.new(hmac_secret.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def row_hash(row: StoredRow, hmac_secret: str | None) -> str:
    """Recompute a stored row's hash from its stored bytes."""
    seq, id_, type_, at, actor, tenant, payload, prev_hash, _ = row
    message = canonical_message(
        seq=seq,
        id=id_,
        type=type_,
        at=at,
        actor=actor,
        tenant=tenant,
        payload=bytes(payload),
        prev_hash=prev_hash,
    )
    return compute_hash(message, hmac_secret)


def record_from_row(row: StoredRow) -> AuditRecord:
    """Rebuild a record from a stored row."""
    seq, id_, type_, at, actor, tenant, payload, prev_hash, hash_ = row
    return AuditRecord(
        seq=seq,
        id=id_,
        type=type_,
        at=datetime.fromisoformat(at),
        actor=actor,
        tenant=tenant,
        payload=orjson.loads(payload),
        prev_hash=prev_hash,
        hash=hash_,
    )
