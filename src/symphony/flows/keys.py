"""API keys created or revoked by the CLI (another process) reach this one as events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from symphony.audit.sink import AuditSink
from symphony.events.bus import EventBus
from symphony.events.facts import Fact, KeyCreated, KeyRevoked
from symphony.security.keys import ApiKey, KeyStore

log = logging.getLogger("symphony")


def key_changes(before: dict[str, ApiKey], after: list[ApiKey]) -> list[Fact]:
    """The facts between two views of the key table: keys that appeared or were revoked."""
    facts: list[Fact] = []
    for key in after:
        old = before.get(key.id)
        if old is None and key.active:
            facts.append(
                KeyCreated(key_id=key.id, name=key.name, role=key.role, tenants=list(key.tenants))
            )
        elif old is not None and old.active and not key.active:
            facts.append(KeyRevoked(key_id=key.id, name=key.name, role=key.role))
    return facts


class KeyWatch:
    """Picks up the key table's changes within seconds and publishes them."""

    def __init__(self, keys: KeyStore, bus: EventBus) -> None:
        self.keys = keys
        self.bus = bus
        # What was last announced; compared with the table after each refresh (the auth
        # middleware also refreshes on an unknown key, so "did refresh reload" is not enough).
        self._seen = {key.id: key for key in keys.list()}

    def _refresh(self) -> list[Fact]:
        self.keys.refresh_if_changed()
        current = self.keys.list()
        facts = key_changes(self._seen, current)
        self._seen = {key.id: key for key in current}
        return facts

    async def refresh(self) -> None:
        """Reload the keys if another process changed them; publish what changed."""
        for fact in await asyncio.to_thread(self._refresh):
            self.bus.emit(fact)

    async def run(self, stop: asyncio.Event, every_s: float = 2.0) -> None:
        """Refresh every `every_s` seconds until `stop` is set."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
            try:
                await self.refresh()
            except Exception:  # keep serving with the keys we have
                log.exception("API key refresh failed")


class KeyAdmin:
    """Create and revoke keys, each change with its audit record (the CLI's `keys` commands).

    A running server announces the change (`key.created`/`key.revoked`) through `KeyWatch`
    when it picks it up from the shared key table."""

    def __init__(self, keys: KeyStore, audit: AuditSink) -> None:
        self.keys = keys
        self.audit = audit

    def create(
        self, *, name: str, role: str, tenants: Sequence[str], actor: str
    ) -> tuple[ApiKey, str]:
        """Create a key and audit it; return the key and its secret (shown once)."""
        key, secret = self.keys.create(name=name, role=role, tenants=tenants)
        payload = {
            "key_id": key.id,
            "name": key.name,
            "role": key.role,
            "tenants": list(key.tenants),
            "prefix": key.prefix,
        }
        self.audit.append_sync("key.create", payload, actor=actor)
        return key, secret

    def revoke(self, key_id_or_name: str, *, actor: str) -> tuple[ApiKey, bool]:
        """Revoke a key (audited); return it and whether it was active until now."""
        before = self.keys.get(key_id_or_name)
        key = self.keys.revoke(key_id_or_name)
        if before is not None and not before.active:
            return key, False
        payload = {"key_id": key.id, "name": key.name, "role": key.role}
        self.audit.append_sync("key.revoke", payload, actor=actor)
        return key, True
