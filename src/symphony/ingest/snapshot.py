"""Signed HTML snapshots: what was fetched, from where, when, signed with Ed25519.

A snapshot is one JSON object:

    {"format": "symphony.snapshot/1", "url", "final_url", "fetched_at", "status",
     "extractor_version", "html_sha256", "html",
     "signature": {"alg": "Ed25519", "key_id", "public_key", "value", "fields": {...}}}

`value` signs the canonical JSON (sorted keys, no spaces, UTF-8) of the signed fields plus
the format and key id; the HTML is covered through its sha256. `fields` holds one extra
signature per signed field so that a failed check can name what was altered instead of
only saying "invalid".
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from symphony.ingest.digest import sha256_hex
from symphony.ingest.keys import key_id, public_raw

FORMAT = "symphony.snapshot/1"
SIGNED_FIELDS = ("url", "final_url", "fetched_at", "status", "html_sha256", "extractor_version")
_TYPES: dict[str, type] = {
    "url": str,
    "final_url": str,
    "fetched_at": str,
    "status": int,
    "html_sha256": str,
    "extractor_version": str,
    "html": str,
}


def canonical(value: Any) -> bytes:
    """The bytes that are signed: JSON with sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _whole_message(record: dict[str, Any], kid: str) -> bytes:
    payload = {name: record[name] for name in SIGNED_FIELDS}
    return canonical({"format": FORMAT, "key_id": kid, **payload})


def _field_message(name: str, value: Any) -> bytes:
    return canonical({"format": FORMAT, "field": name, "value": value})


def build_snapshot(
    *,
    url: str,
    final_url: str,
    fetched_at: datetime,
    status: int,
    html: str,
    extractor_version: str,
    key: Ed25519PrivateKey | None,
) -> dict[str, Any]:
    """A snapshot record; signed when `key` is given, else with `"signature": null`."""
    record: dict[str, Any] = {
        "format": FORMAT,
        "url": url,
        "final_url": final_url,
        "fetched_at": fetched_at.isoformat().replace("+00:00", "Z"),
        "status": status,
        "extractor_version": extractor_version,
        "html_sha256": sha256_hex(html),
        "html": html,
        "signature": None,
    }
    if key is not None:
        public = key.public_key()
        kid = key_id(public)
        record["signature"] = {
            "alg": "Ed25519",
            "key_id": kid,
            "public_key": _b64(public_raw(public)),
            "value": _b64(key.sign(_whole_message(record, kid))),
            "fields": {n: _b64(key.sign(_field_message(n, record[n]))) for n in SIGNED_FIELDS},
        }
    return record


@dataclass(frozen=True)
class SnapshotVerdict:
    """The result of checking one snapshot; `altered` names every part found changed."""

    ok: bool
    altered: tuple[str, ...]
    problems: tuple[str, ...]
    key_id: str | None
    pinned: bool  # checked against a trusted key, not only the key embedded in the file


def _fail(
    altered: list[str], problems: list[str], kid: str | None, pinned: bool
) -> SnapshotVerdict:
    return SnapshotVerdict(False, tuple(altered), tuple(problems), kid, pinned)


def _shape(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return ["the file is not a JSON object"]
    problems = []
    if record.get("format") != FORMAT:
        problems.append(f"format is {record.get('format')!r}, expected {FORMAT!r}")
    for name, kind in _TYPES.items():
        value = record.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"{name} is missing or not a {kind.__name__}")
    return problems


def _verify(key: Ed25519PublicKey, signature_b64: Any, message: bytes) -> bool:
    try:
        key.verify(base64.b64decode(str(signature_b64), validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def verify_snapshot(record: Any, trusted: Ed25519PublicKey | None) -> SnapshotVerdict:
    """Check a snapshot; with `trusted` None only its self-consistency can be checked."""
    pinned = trusted is not None
    shape = _shape(record)
    if shape:
        return _fail(["format"], [f"malformed snapshot: {p}" for p in shape], None, pinned)
    html_ok = sha256_hex(record["html"]) == record["html_sha256"]
    sig = record.get("signature")
    if sig is None:
        unsigned = ["snapshot is not signed"]
        if html_ok:
            return _fail([], unsigned, None, pinned)
        return _fail(["html"], [*unsigned, "html does not match html_sha256"], None, pinned)
    if not isinstance(sig, dict) or not isinstance(sig.get("fields"), dict):
        return _fail(["signature"], ["signature block is malformed"], None, pinned)
    try:
        embedded = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(str(sig.get("public_key")), validate=True)
        )
    except (binascii.Error, ValueError):
        return _fail(
            ["public_key"], ["embedded public key is not a valid Ed25519 key"], None, pinned
        )
    kid = str(sig.get("key_id"))
    if key_id(embedded) != kid:
        return _fail(
            ["public_key"], [f"embedded public key does not match key_id {kid}"], kid, pinned
        )
    if trusted is not None and key_id(trusted) != kid:
        return _fail(
            ["key"],
            [f"signed by key {kid}, not by the trusted key {key_id(trusted)} (wrong key)"],
            kid,
            pinned,
        )
    key = trusted or embedded
    whole_ok = _verify(key, sig.get("value"), _whole_message(record, kid))
    bad_fields = [
        name
        for name in SIGNED_FIELDS
        if not _verify(key, sig["fields"].get(name), _field_message(name, record[name]))
    ]
    altered: list[str] = []
    problems: list[str] = []
    if "html_sha256" in bad_fields and html_ok:
        # the HTML changed and its recorded hash was rewritten to match: the HTML was altered
        bad_fields.remove("html_sha256")
        altered.append("html")
        problems.append("html was replaced (html_sha256 was rewritten to match; not signed)")
    elif not html_ok:
        altered.append("html")
        problems.append("html does not match the signed html_sha256")
    for name in bad_fields:
        altered.append(name)
        problems.append(f"{name} differs from the signed value")
    if not whole_ok and not bad_fields and "html" not in altered:
        altered.append("signature")
        problems.append("the signature does not verify over the recorded fields")
    if altered:
        return _fail(altered, problems, kid, pinned)
    return SnapshotVerdict(True, (), (), kid, pinned)
