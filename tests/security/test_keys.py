"""KeyStore: secrets shown once and stored hashed, authentication in memory, revocation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from symphony.clock import FixedClock
from symphony.errors import ConflictError, NotFoundError, ValidationFailed
from symphony.security.keys import KeyStore, format_key_table, hash_secret

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SECRET_RE = re.compile(r"^sk-sym-[A-Za-z0-9_-]{40}$")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[KeyStore]:
    keys = KeyStore.open(tmp_path, clock)
    yield keys
    keys.close()


def test_create_returns_the_secret_once_and_it_authenticates(store: KeyStore) -> None:
    key, secret = store.create(name="vscode-alice", role="client", tenants=["acme"])
    assert SECRET_RE.match(secret)
    assert key.prefix == secret[:12]
    assert (key.name, key.role, key.tenants, key.created_at) == (
        "vscode-alice",
        "client",
        ("acme",),
        T0,
    )
    assert key.active
    assert key.id.startswith("key_")
    assert store.authenticate(secret) == key
    assert "secret" not in key.to_dict()
    assert secret not in str(key.to_dict())


def test_wrong_or_malformed_secrets_are_refused(store: KeyStore) -> None:
    _, secret = store.create(name="ci", role="operator")
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for bad in (flipped, "", "sk-sym-short", secret + "x", "Bearer " + secret, secret.upper()):
        assert store.authenticate(bad) is None


def test_secret_is_never_written_in_plaintext(tmp_path: Path, clock: FixedClock) -> None:
    store = KeyStore.open(tmp_path, clock)
    _, secret = store.create(name="admin", role="admin")
    files = sorted(tmp_path.glob("keys.db*"))
    on_disk = b"".join(f.read_bytes() for f in files)  # db, and the WAL while still open
    store.close()
    on_disk += (tmp_path / "keys.db").read_bytes()
    assert secret.encode() not in on_disk
    assert secret[12:].encode() not in on_disk  # not even the part after the shown prefix
    assert hash_secret(secret).encode() in on_disk


def test_revoke_by_name_or_id(store: KeyStore, clock: FixedClock) -> None:
    a, secret_a = store.create(name="a", role="client")
    b, secret_b = store.create(name="b", role="client")
    clock.advance(timedelta(hours=1))
    revoked = store.revoke("a")
    assert revoked.id == a.id
    assert revoked.revoked_at == T0 + timedelta(hours=1)
    assert store.authenticate(secret_a) is None
    assert store.revoke(b.id).revoked_at is not None
    assert store.authenticate(secret_b) is None
    assert store.revoke(b.id) == store.get(b.id)  # revoking twice changes nothing


def test_revoke_unknown_is_not_found(store: KeyStore) -> None:
    with pytest.raises(NotFoundError):
        store.revoke("nobody")
    store.create(name="gone", role="client")
    store.revoke("gone")
    with pytest.raises(NotFoundError):
        store.revoke("gone")  # no *active* key of that name any more


def test_names_are_unique_among_active_keys(store: KeyStore) -> None:
    store.create(name="bot", role="client")
    with pytest.raises(ConflictError, match="bot"):
        store.create(name="bot", role="admin")
    store.revoke("bot")
    key, secret = store.create(name="bot", role="operator")  # free again once revoked
    assert store.authenticate(secret) == key
    assert [k.name for k in store.list()] == ["bot", "bot"]
    assert [k.role for k in store.list(include_revoked=False)] == ["operator"]


def test_invalid_input_is_rejected(store: KeyStore) -> None:
    with pytest.raises(ValidationFailed, match="role"):
        store.create(name="x", role="superuser")
    for name in ("", "has space", "key_abc", "x" * 65):
        with pytest.raises(ValidationFailed, match="name"):
            store.create(name=name, role="client")
    with pytest.raises(ValidationFailed, match="list"):
        store.create(name="x", role="client", tenants="acme")
    with pytest.raises(ValidationFailed, match="tenant"):
        store.create(name="x", role="client", tenants=["ok", ""])
    assert store.list() == []


def test_keys_persist_across_reopen(tmp_path: Path, clock: FixedClock) -> None:
    store = KeyStore.open(tmp_path, clock)
    live, live_secret = store.create(name="live", role="approver", tenants=["a", "b", "a"])
    clock.advance(timedelta(seconds=1))
    _, dead_secret = store.create(name="dead", role="client")
    store.revoke("dead")
    store.close()

    again = KeyStore.open(tmp_path, clock)
    try:
        assert again.authenticate(live_secret) == live
        assert live.tenants == ("a", "b")
        assert again.authenticate(dead_secret) is None
        assert [(k.name, k.active) for k in again.list()] == [("live", True), ("dead", False)]
    finally:
        again.close()


def test_authentication_never_touches_sqlite(tmp_path: Path, clock: FixedClock) -> None:
    store = KeyStore.open(tmp_path, clock)
    key, secret = store.create(name="hot", role="client")
    store.close()  # the database is closed; the in-memory index still answers
    assert store.authenticate(secret) == key


def test_tenant_scope(store: KeyStore) -> None:
    client, _ = store.create(name="c", role="client")
    scoped, _ = store.create(name="s", role="client", tenants=["acme", "globex"])
    operator, _ = store.create(name="o", role="operator")
    assert client.allows_tenant("default")
    assert not client.allows_tenant("acme")
    assert scoped.allows_tenant("globex")
    assert not scoped.allows_tenant("default")
    assert operator.allows_tenant("anything")
    assert operator.allows("client")
    assert not operator.allows("approver")


def test_changes_from_another_process_are_picked_up(tmp_path: Path, clock: FixedClock) -> None:
    server = KeyStore.open(tmp_path, clock)
    cli = KeyStore.open(tmp_path, clock)
    try:
        assert server.refresh_if_changed() is False
        key, secret = cli.create(name="from-cli", role="client")
        assert server.authenticate(secret) is None
        assert server.refresh_if_changed() is True
        assert server.authenticate(secret) == key
        cli.revoke("from-cli")
        server.refresh_if_changed()
        assert server.authenticate(secret) is None
        server.create(name="x", role="client")
        with pytest.raises(ConflictError):  # cli's cache is stale; the database still refuses
            cli.create(name="x", role="client")
    finally:
        cli.close()
        server.close()


async def test_async_variants(store: KeyStore) -> None:
    key, secret = await store.acreate(name="async", role="admin")
    assert store.authenticate(secret) == key
    assert (await store.arevoke("async")).revoked_at is not None


def test_format_key_table(store: KeyStore) -> None:
    store.create(name="c", role="client")
    store.create(name="o", role="operator")
    store.create(name="t", role="client", tenants=["acme", "globex"])
    store.revoke("o")
    rows = format_key_table(store.list())
    assert [r["tenants"] for r in rows] == ["default", "(all)", "acme,globex"]
    assert rows[0]["status"] == "active"
    assert rows[1]["status"].startswith("revoked 2025-03-01")
    assert all(r["prefix"].startswith("sk-sym-") and r["prefix"].endswith("…") for r in rows)
    assert set(rows[0]) == {"id", "name", "role", "tenants", "prefix", "created_at", "status"}
