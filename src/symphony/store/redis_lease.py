"""Leases on Redis: one Lua script per operation, atomic across processes and replicas.

`P:l:<name>` is a hash (holder, token, exp, iso); `P:lt:<name>` the last token granted,
never deleted, so every new grant carries a larger fencing token. Time comes from the
store's clock (tests inject one) and is passed into the scripts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from symphony.clock import Clock
from symphony.store.lease import Lease, check_lease_args
from symphony.store.redis_conn import RedisConn, fmt

# KEYS: grant, tokens. ARGV: now, holder, exp, iso, how ('acquire' | 'renew' | 'release'
# | 'current'), token (renew/release).
_LEASE = """
local g, now, me, how = KEYS[1], tonumber(ARGV[1]), ARGV[2], ARGV[5]
local found = redis.call('HMGET', g, 'holder', 'token', 'exp', 'iso')
local live = found[1] and tonumber(found[3]) > now
if how == 'current' then
  if not live then return false end
  return {found[1], found[2], found[4]}
end
if how == 'acquire' then
  if live and found[1] ~= me then return false end
  local token = found[2]
  if not live then token = tostring(redis.call('INCR', KEYS[2])) end
  redis.call('HSET', g, 'holder', me, 'token', token, 'exp', ARGV[3], 'iso', ARGV[4])
  return {me, token, ARGV[4]}
end
if not live or found[1] ~= me or found[2] ~= ARGV[6] then return false end
if how == 'release' then redis.call('DEL', g); return {me, found[2], found[4]} end
redis.call('HSET', g, 'exp', ARGV[3], 'iso', ARGV[4])
return {me, found[2], ARGV[4]}
"""


class RedisLeases:
    """Leases (see store.lease) on Redis."""

    def __init__(self, conn: RedisConn, clock: Clock, *, name: str = "leases") -> None:
        self._conn = conn
        self._clock = clock
        self._prefix = conn.key(name)
        self._script = conn.aio.register_script(_LEASE)
        self._owns = False

    @classmethod
    def open(cls, url: str, clock: Clock, *, prefix: str = "symphony") -> RedisLeases:
        leases = cls(RedisConn(url, prefix), clock)
        leases._owns = True
        return leases

    @property
    def where(self) -> str:
        return f"{self._conn.where} ({self._prefix})"

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> Lease | None:
        check_lease_args(name, holder, ttl)
        return await self._run(name, holder, "acquire", ttl, 0)

    async def renew(self, lease: Lease, ttl: timedelta) -> Lease | None:
        check_lease_args(lease.name, lease.holder, ttl)
        return await self._run(lease.name, lease.holder, "renew", ttl, lease.token)

    async def release(self, lease: Lease) -> bool:
        found = await self._run(lease.name, lease.holder, "release", None, lease.token)
        return found is not None

    async def current(self, name: str) -> Lease | None:
        return await self._run(name, "", "current", None, 0)

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    async def _run(
        self, name: str, holder: str, how: str, ttl: timedelta | None, token: int
    ) -> Lease | None:
        now = self._clock.now()
        expires = now + (ttl or timedelta(0))
        keys = [f"{self._prefix}:l:{name}", f"{self._prefix}:lt:{name}"]
        args: list[Any] = [
            fmt(now.timestamp()),
            holder,
            fmt(expires.timestamp()),
            expires.isoformat(),
            how,
            str(token),
        ]
        found = await self._conn.call(lambda: self._script(keys=keys, args=args))
        if not found:
            return None
        who, grant, iso = (x.decode() if isinstance(x, bytes) else str(x) for x in found)
        return Lease(name, who, int(grant), datetime.fromisoformat(iso))
