"""Leases in process memory (one process: the embedded default)."""

from __future__ import annotations

import threading
from datetime import timedelta

from symphony.clock import Clock
from symphony.store.lease import Lease, check_lease_args


class MemoryLeases:
    """Leases (see store.lease) in a dict; tokens keep growing after a release."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._grants: dict[str, Lease] = {}
        self._tokens: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return "memory"

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> Lease | None:
        check_lease_args(name, holder, ttl)
        with self._lock:
            now = self._clock.now()
            live = self._live(name)
            if live is not None and live.holder != holder:
                return None
            token = live.token if live is not None else self._tokens.get(name, 0) + 1
            self._tokens[name] = token
            grant = self._grants[name] = Lease(name, holder, token, now + ttl)
            return grant

    async def renew(self, lease: Lease, ttl: timedelta) -> Lease | None:
        check_lease_args(lease.name, lease.holder, ttl)
        with self._lock:
            live = self._live(lease.name)
            if live is None or (live.holder, live.token) != (lease.holder, lease.token):
                return None
            grant = Lease(lease.name, lease.holder, lease.token, self._clock.now() + ttl)
            self._grants[lease.name] = grant
            return grant

    async def release(self, lease: Lease) -> bool:
        with self._lock:
            live = self._live(lease.name)
            if live is None or (live.holder, live.token) != (lease.holder, lease.token):
                return False
            del self._grants[lease.name]
            return True

    async def current(self, name: str) -> Lease | None:
        with self._lock:
            return self._live(name)

    def close(self) -> None:
        return None

    def _live(self, name: str) -> Lease | None:
        grant = self._grants.get(name)
        if grant is not None and grant.expires_at <= self._clock.now():
            return None
        return grant
