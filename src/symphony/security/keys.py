"""API keys: created once (the secret is shown once), stored only as a hash, checked in memory.

Secrets are "sk-sym-" + 40 url-safe characters: 240 random bits. With that much entropy a
fast hash (SHA-256) is enough: nobody can brute-force 2^240 guesses, so a slow password
KDF (bcrypt, argon2) would only slow the hot path without adding protection. The hash is
the lookup key, so `authenticate` is one dict lookup with no SQLite on the request path.

Tenants: an empty tenant list means "every tenant" for operator and above; for a `client`
key it means the "default" tenant only (a client key never silently spans tenants).

Keys are documents (the store's Documents seam), one per key id; the embedded default is
the `api_keys` table of data_dir/keys.db, one field a column, as it has always been.
Other processes (the CLI) may create or revoke keys in the same store: call
`refresh_if_changed()` periodically (the collection's cheap `revision()`) to pick them up.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from symphony.clock import Clock
from symphony.errors import ConflictError, NotFoundError, StoreError, ValidationFailed
from symphony.security.roles import Role, parse_role, role_allows
from symphony.store.documents import CasConflict, Doc, Documents
from symphony.store.sqlite_docs import DocTable, SqliteDocuments

KEYS_DB_NAME = "keys.db"
SECRET_PREFIX = "sk-sym-"
SECRET_LENGTH = len(SECRET_PREFIX) + 40
PREFIX_LENGTH = 12
DEFAULT_TENANT = "default"

KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    tenants TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name
    ON api_keys(name) WHERE revoked_at IS NULL;
"""

# A key's document, one field a column of api_keys (the id is the document key).
KEYS_TABLE = DocTable(
    "api_keys",
    key="id",
    value=None,
    fields=("name", "role", "tenants", "secret_hash", "prefix", "created_at", "revoked_at"),
    json_fields=frozenset({"tenants"}),
)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True)
class ApiKey:
    """A key's public facts; the secret and its hash never appear here."""

    id: str
    name: str
    role: Role
    tenants: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    prefix: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, need: Role) -> bool:
        """Return True when this key's role covers `need`."""
        return role_allows(self.role, need)

    def allows_tenant(self, tenant: str) -> bool:
        """Return True when this key may act for `tenant` (see the module docstring)."""
        if self.tenants:
            return tenant in self.tenants
        return self.role != "client" or tenant == DEFAULT_TENANT

    @property
    def tenant_scope(self) -> frozenset[str] | None:
        """The tenants this key is walled into; None when it spans every tenant."""
        if self.tenants:
            return frozenset(self.tenants)
        return frozenset({DEFAULT_TENANT}) if self.role == "client" else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "tenants": list(self.tenants),
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "prefix": self.prefix,
            "active": self.active,
        }


def hash_secret(secret: str) -> str:
    """Return the stored form of a secret (hex SHA-256; see the module docstring)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """API keys in a Documents collection, mirrored in memory for authentication."""

    def __init__(self, docs: Documents, clock: Clock, *, owns_docs: bool = False) -> None:
        self._docs = docs
        self._clock = clock
        self._owns_docs = owns_docs
        self._lock = threading.Lock()  # serialises create/revoke/reload
        self._by_id: dict[str, ApiKey] = {}
        # Active keys only, keyed by secret hash -> (that hash, key); swapped, never mutated.
        self._by_hash: dict[str, tuple[str, ApiKey]] = {}
        self._revision: int | None = None
        self.reload()

    @classmethod
    def open(cls, data_dir: Path, clock: Clock) -> KeyStore:
        """Open (creating if needed) data_dir/keys.db, the embedded default."""
        docs = open_key_documents(data_dir)
        try:
            return cls(docs, clock, owns_docs=True)
        except BaseException:
            docs.close()
            raise

    def create(
        self, *, name: str, role: Role | str, tenants: Sequence[str] = ()
    ) -> tuple[ApiKey, str]:
        """Create a key; return it and its plaintext secret (shown this once, never stored)."""
        name = _check_name(name)
        checked_role = parse_role(role)
        tenant_list = _check_tenants(tenants)
        secret = SECRET_PREFIX + secrets.token_urlsafe(30)
        digest = hash_secret(secret)
        key = ApiKey(
            id="key_" + secrets.token_urlsafe(12),
            name=name,
            role=checked_role,
            tenants=tenant_list,
            created_at=self._clock.now().astimezone(UTC),
            revoked_at=None,
            prefix=secret[:PREFIX_LENGTH],
        )
        with self._lock:
            self._refuse_active_name(name)
            try:
                self._docs.cas_sync(key.id, _doc_of(key, digest), expected=None)
            except (StoreError, CasConflict):
                self._reload_locked()  # another process may have taken the name
                self._refuse_active_name(name)
                raise
            self._by_id = {**self._by_id, key.id: key}
            self._by_hash = {**self._by_hash, digest: (digest, key)}
        return key, secret

    def list(self, *, include_revoked: bool = True) -> builtins.list[ApiKey]:
        """Return keys oldest first (revoked ones too unless told otherwise)."""
        keys = sorted(self._by_id.values(), key=lambda k: (k.created_at, k.name, k.id))
        return keys if include_revoked else [k for k in keys if k.active]

    def get(self, key_id: str) -> ApiKey | None:
        return self._by_id.get(key_id)

    def revoke(self, key_id_or_name: str) -> ApiKey:
        """Revoke a key by id, or the active key with that name; revoking twice is a no-op."""
        with self._lock:
            key = self._by_id.get(key_id_or_name) or self._active_named(key_id_or_name)
            if key is None:
                raise NotFoundError(f"no API key with id or active name {key_id_or_name!r}")
            if not key.active:
                return key
            current = self._docs.get_sync(key.id)
            if current is None:
                raise NotFoundError(f"API key {key.id} is no longer in {self._docs.where}")
            if current.value.get("revoked_at") is not None:  # revoked by another process
                self._reload_locked()
                return self._by_id.get(key.id, key)
            revoked_at = self._clock.now().astimezone(UTC)
            body = {**current.value, "revoked_at": revoked_at.isoformat()}
            try:
                self._docs.cas_sync(key.id, body, expected=current.version)
            except CasConflict:
                self._reload_locked()
                return self._by_id.get(key.id, key)
            revoked = ApiKey(
                id=key.id,
                name=key.name,
                role=key.role,
                tenants=key.tenants,
                created_at=key.created_at,
                revoked_at=revoked_at,
                prefix=key.prefix,
            )
            self._by_id = {**self._by_id, key.id: revoked}
            self._by_hash = {h: e for h, e in self._by_hash.items() if e[1].id != key.id}
        return revoked

    async def acreate(
        self, *, name: str, role: Role | str, tenants: Sequence[str] = ()
    ) -> tuple[ApiKey, str]:
        """`create` from async code (runs the blocking write in a thread)."""
        return await asyncio.to_thread(self.create, name=name, role=role, tenants=tenants)

    async def arevoke(self, key_id_or_name: str) -> ApiKey:
        """`revoke` from async code (runs the blocking write in a thread)."""
        return await asyncio.to_thread(self.revoke, key_id_or_name)

    def authenticate(self, secret: str) -> ApiKey | None:
        """Return the active key for this secret, or None (in memory; never touches storage)."""
        if len(secret) != SECRET_LENGTH or not secret.startswith(SECRET_PREFIX):
            return None
        digest = hash_secret(secret)
        found = self._by_hash.get(digest)
        if found is None:
            return None
        # The dict lookup is keyed on SHA-256(guess), so its timing reveals nothing about a
        # real secret; the final check against the stored hash is constant-time anyway.
        stored, key = found
        return key if hmac.compare_digest(stored, digest) else None

    def refresh_if_changed(self) -> bool:
        """Reload when the collection changed since the last load; return whether."""
        if self._docs.revision() == self._revision:
            return False
        self.reload()
        return True

    def reload(self) -> None:
        """Re-read every key from the store."""
        with self._lock:
            self._reload_locked()

    def close(self) -> None:
        if self._owns_docs:
            self._docs.close()

    def _reload_locked(self) -> None:
        revision = self._docs.revision()  # before reading: a change meanwhile reloads again
        docs = self._docs.items_sync()
        by_id: dict[str, ApiKey] = {}
        by_hash: dict[str, tuple[str, ApiKey]] = {}
        for key_id, doc in docs.items():
            key, digest = _key_from_doc(key_id, doc)
            by_id[key.id] = key
            if key.active:
                by_hash[digest] = (digest, key)
        self._by_id, self._by_hash, self._revision = by_id, by_hash, revision

    def _active_named(self, name: str) -> ApiKey | None:
        return next((k for k in self._by_id.values() if k.active and k.name == name), None)

    def _refuse_active_name(self, name: str) -> None:
        existing = self._active_named(name)
        if existing is not None:
            raise ConflictError(
                f"an active API key named {name!r} already exists ({existing.id}); "
                "revoke it first or pick another name"
            )


def format_key_table(keys: Sequence[ApiKey]) -> builtins.list[dict[str, str]]:
    """Return display rows for `symphony keys list` (never the secret or its hash)."""
    rows: builtins.list[dict[str, str]] = []
    for key in keys:
        if key.tenants:
            tenants = ",".join(key.tenants)
        else:
            tenants = DEFAULT_TENANT if key.role == "client" else "(all)"
        status = "active" if key.revoked_at is None else f"revoked {key.revoked_at.isoformat()}"
        rows.append(
            {
                "id": key.id,
                "name": key.name,
                "role": key.role,
                "tenants": tenants,
                "prefix": key.prefix + "…",
                "created_at": key.created_at.isoformat(),
                "status": status,
            }
        )
    return rows


def _doc_of(key: ApiKey, digest: str) -> dict[str, Any]:
    return {
        "name": key.name,
        "role": key.role,
        "tenants": list(key.tenants),
        "secret_hash": digest,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def _key_from_doc(key_id: str, doc: Doc) -> tuple[ApiKey, str]:
    value = doc.value
    revoked_at = value.get("revoked_at")
    key = ApiKey(
        id=key_id,
        name=value["name"],
        role=parse_role(value["role"]),
        tenants=tuple(value["tenants"]),
        created_at=datetime.fromisoformat(value["created_at"]),
        revoked_at=datetime.fromisoformat(revoked_at) if revoked_at else None,
        prefix=value["prefix"],
    )
    return key, str(value["secret_hash"])


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name) or name.startswith("key_"):
        raise ValidationFailed(
            f"key name {name!r} is invalid: use 1-64 letters, digits and . _ @ : - "
            "(not starting with 'key_', which is reserved for ids)"
        )
    return name


def _check_tenants(tenants: Sequence[str]) -> tuple[str, ...]:
    if isinstance(tenants, str):
        raise ValidationFailed("tenants must be a list of tenant names, not one string")
    seen: dict[str, None] = {}
    for tenant in tenants:
        if not isinstance(tenant, str) or not _TENANT_RE.match(tenant):
            raise ValidationFailed(f"tenant name {tenant!r} is invalid")
        seen.setdefault(tenant, None)
    return tuple(seen)


def open_key_documents(data_dir: Path) -> Documents:
    """The embedded key table: data_dir/keys.db."""
    return SqliteDocuments.open(data_dir / KEYS_DB_NAME, KEYS_TABLE, schema=KEYS_SCHEMA)
