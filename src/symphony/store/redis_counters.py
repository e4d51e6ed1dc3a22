"""Counters and token buckets on Redis: one Lua script per operation, so check-and-reserve
is atomic across every process and replica that shares the Redis.

Layout under the store's prefix P (a hash tag: one slot):
- `P:c:<key>`: a sorted set of charges, score = instant, member = a zero-padded sequence
  number (ties keep insertion order); `P:s:<key>`: member → running total through it;
  `P:t` key → total, `P:base` key → the running total of charges forgotten (retention).
  So "charged since t" is total − (running total of the last charge before t): two
  O(log n) lookups however busy the key, like the embedded backend's sorted series;
- `P:held`: a hash key → amount held by live reservations;
- `P:r:<id>`: a reservation (fields `k:<key>` → amount, `at`, `exp`); `P:exp`: a sorted
  set reservation id → expiry instant;
- `P:b:<key>`: a token bucket (tokens, at).

Every script first turns reservations whose expiry has passed into charges at the instant
they were made (the contract: a crash never frees quota that was spent), and forgets
charges older than the retention. Time is passed in from the store's clock (every replica
runs NTP; tests inject one), so one decision never mixes two clocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from symphony.clock import Clock
from symphony.errors import ValidationFailed
from symphony.store.counters import (
    EPSILON,
    RETENTION,
    Admission,
    Claim,
    Level,
    Refusal,
    check_bucket,
    check_claims,
    check_ttl,
    new_reservation_id,
)
from symphony.store.redis_conn import RedisConn, fmt

_COMMON = """
local P = ARGV[1]
local now = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local function num(x) return string.format('%.17g', x) end
local function cum_upto(k, bound)
  local last = redis.call('ZREVRANGEBYSCORE', P .. ':c:' .. k, bound, '-inf', 'LIMIT', 0, 1)
  if #last == 0 then return tonumber(redis.call('HGET', P .. ':base', k) or '0') end
  return tonumber(redis.call('HGET', P .. ':s:' .. k, last[1]))
end
local function charge(k, at, amount)
  local z, s = P .. ':c:' .. k, P .. ':s:' .. k
  local member = string.format('%016d', redis.call('INCR', P .. ':seq'))
  local later = redis.call('ZRANGEBYSCORE', z, '(' .. num(at), '+inf')
  for _, m in ipairs(later) do redis.call('HINCRBYFLOAT', s, m, num(amount)) end
  local before = cum_upto(k, num(at))
  redis.call('ZADD', z, num(at), member)
  redis.call('HSET', s, member, num(before + amount))
  redis.call('HINCRBYFLOAT', P .. ':t', k, num(amount))
  local cutoff = '(' .. num(now - keep)
  local old = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)
  if #old > 0 then
    redis.call('HSET', P .. ':base', k, redis.call('HGET', s, old[#old]))
    redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
    redis.call('HDEL', s, unpack(old))
  end
end
local function unhold(k, amount)
  local left = tonumber(redis.call('HINCRBYFLOAT', P .. ':held', k, num(-amount)))
  if left <= 1e-9 then redis.call('HDEL', P .. ':held', k) end
end
local function drop(rid, charge_at)
  local h = P .. ':r:' .. rid
  local kv = redis.call('HGETALL', h)
  local at = nil
  for i = 1, #kv, 2 do if kv[i] == 'at' then at = tonumber(kv[i + 1]) end end
  for i = 1, #kv, 2 do
    if string.sub(kv[i], 1, 2) == 'k:' then
      local k = string.sub(kv[i], 3)
      local amount = tonumber(kv[i + 1])
      unhold(k, amount)
      if charge_at == 'made' then charge(k, at, amount) end
    end
  end
  redis.call('DEL', h)
  redis.call('ZREM', P .. ':exp', rid)
end
local due = redis.call('ZRANGEBYSCORE', P .. ':exp', '-inf', now)
for _, rid in ipairs(due) do drop(rid, 'made') end
local function used(k, since)
  local total = tonumber(redis.call('HGET', P .. ':t', k) or '0')
  if since == '-inf' then
    return total - tonumber(redis.call('HGET', P .. ':base', k) or '0')
  end
  return total - cum_upto(k, '(' .. since)
end
local function held(k)
  return tonumber(redis.call('HGET', P .. ':held', k) or '0')
end
"""

# ARGV: P, now, keep, mode ('add' | 'reserve'), when|expires, rid, n, then n × (key,
# amount, limit or '', since or '-inf').
_TAKE = (
    _COMMON
    + """
local mode, stamp, rid, n = ARGV[4], tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local pending, order = {}, {}
for i = 0, n - 1 do
  local k, amount = ARGV[8 + 4 * i], tonumber(ARGV[9 + 4 * i])
  local limit, since = ARGV[10 + 4 * i], ARGV[11 + 4 * i]
  local ahead = pending[k] or 0
  if pending[k] == nil then table.insert(order, k) end
  pending[k] = ahead + amount
  if limit ~= '' then
    limit = tonumber(limit)
    local u = used(k, since)
    local h = held(k) + ahead
    if u + h + amount > limit + EPSILON then
      return {'refused', k, num(amount), num(limit), num(u), num(h)}
    end
  end
end
for _, k in ipairs(order) do
  if mode == 'add' then
    charge(k, stamp, pending[k])
  else
    redis.call('HSET', P .. ':r:' .. rid, 'k:' .. k, num(pending[k]))
    redis.call('HINCRBYFLOAT', P .. ':held', k, num(pending[k]))
  end
end
if mode == 'reserve' then
  redis.call('HSET', P .. ':r:' .. rid, 'at', num(now), 'exp', num(stamp))
  redis.call('ZADD', P .. ':exp', num(stamp), rid)
end
return {'ok'}
""".replace("EPSILON", repr(EPSILON))
)

# ARGV: P, now, keep, rid, ('release' | 'settle'), n, then n × (key, amount).
_END = (
    _COMMON
    + """
local rid, how, n = ARGV[4], ARGV[5], tonumber(ARGV[6])
local h = P .. ':r:' .. rid
if redis.call('EXISTS', h) == 0 then return {'unknown'} end
if how == 'release' then drop(rid, 'never'); return {'ok'} end
local given = {}
for i = 0, n - 1 do
  local k, amount = ARGV[7 + 2 * i], tonumber(ARGV[8 + 2 * i])
  if redis.call('HEXISTS', h, 'k:' .. k) == 0 then return {'extra', k} end
  given[k] = amount
end
local kv = redis.call('HGETALL', h)
drop(rid, 'never')
for i = 1, #kv, 2 do
  if string.sub(kv[i], 1, 2) == 'k:' then
    local k = string.sub(kv[i], 3)
    charge(k, now, given[k] or tonumber(kv[i + 1]))
  end
end
return {'ok'}
"""
)

# ARGV: P, now, keep, n, then n × (key, since or '-inf').
_LEVELS = (
    _COMMON
    + """
local out = {}
for i = 0, tonumber(ARGV[4]) - 1 do
  local k = ARGV[5 + 2 * i]
  table.insert(out, num(used(k, ARGV[6 + 2 * i])))
  table.insert(out, num(math.max(0, held(k))))
end
return out
"""
)


class RedisCounters:
    """Counters (see store.counters) on Redis, atomic across processes through Lua."""

    def __init__(
        self,
        conn: RedisConn,
        clock: Clock,
        *,
        name: str = "counters",
        retention: timedelta = RETENTION,
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._prefix = conn.key(name)
        self._keep = fmt(retention.total_seconds())
        self._take = conn.aio.register_script(_TAKE)
        self._end = conn.aio.register_script(_END)
        self._levels = conn.aio.register_script(_LEVELS)
        self._owns = False

    @classmethod
    def open(cls, url: str, clock: Clock, *, prefix: str = "symphony") -> RedisCounters:
        """Counters on their own connection (closed with the store)."""
        counters = cls(RedisConn(url, prefix), clock)
        counters._owns = True
        return counters

    @property
    def where(self) -> str:
        return f"{self._conn.where} ({self._prefix})"

    async def add(self, claims: Sequence[Claim], *, at: datetime | None = None) -> Admission:
        check_claims(claims)
        now = self._now()
        when = now if at is None else at.timestamp()
        found = await self._run(self._take, self._head(now, "add", when, "", claims))
        return _admission(found)

    async def reserve(self, claims: Sequence[Claim], *, ttl: timedelta) -> Admission:
        check_claims(claims)
        check_ttl(ttl)
        now = self._now()
        expires = now + ttl.total_seconds()
        rid = new_reservation_id()
        found = await self._run(self._take, self._head(now, "reserve", expires, rid, claims))
        admission = _admission(found)
        if not admission.admitted:
            return admission
        return Admission(True, reservation=rid, expires_at=datetime.fromtimestamp(expires, UTC))

    async def settle(self, reservation: str, actual: Mapping[str, float] | None = None) -> bool:
        given = dict(actual or {})
        for key, amount in given.items():
            if not 0 <= amount < float("inf"):
                raise ValidationFailed(f"counter {key}: amount must be >= 0, got {amount}")
        args: list[Any] = [self._prefix, fmt(self._now()), self._keep, reservation, "settle"]
        args.append(len(given))
        for key, amount in given.items():
            args += [key, fmt(amount)]
        found = await self._run(self._end, args)
        if found[0] == "extra":
            raise ValidationFailed(f"reservation {reservation} holds no {found[1]}")
        return bool(found[0] == "ok")

    async def release(self, reservation: str) -> bool:
        args = [self._prefix, fmt(self._now()), self._keep, reservation, "release", 0]
        return bool((await self._run(self._end, args))[0] == "ok")

    async def levels(self, keys: Mapping[str, datetime | None]) -> dict[str, Level]:
        args: list[Any] = [self._prefix, fmt(self._now()), self._keep, len(keys)]
        for key, since in keys.items():
            args += [key, "-inf" if since is None else fmt(since.timestamp())]
        found = await self._run(self._levels, args)
        return {
            key: Level(float(found[2 * i]), float(found[2 * i + 1])) for i, key in enumerate(keys)
        }

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _head(
        self, now: float, mode: str, stamp: float, rid: str, claims: Sequence[Claim]
    ) -> list[Any]:
        args: list[Any] = [self._prefix, fmt(now), self._keep, mode, fmt(stamp), rid, len(claims)]
        for c in claims:
            args += [
                c.key,
                fmt(c.amount),
                "" if c.limit is None else fmt(c.limit),
                "-inf" if c.since is None else fmt(c.since.timestamp()),
            ]
        return args

    async def _run(self, script: Any, args: list[Any]) -> list[str]:
        found = await self._conn.call(lambda: script(keys=[], args=args))
        return [x.decode() if isinstance(x, bytes) else str(x) for x in found]


def _admission(found: list[str]) -> Admission:
    if found[0] == "ok":
        return Admission(True)
    _, key, amount, limit, used, held = found
    return Admission(
        False, refusal=Refusal(key, float(amount), float(limit), float(used), float(held))
    )


_BUCKET = """
local k, now, rate, burst, cost = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local found = redis.call('HMGET', k, 'tokens', 'at')
local tokens = burst
if found[1] then tokens = math.min(burst, tonumber(found[1]) + (now - tonumber(found[2])) * rate) end
if ARGV[5] == 'peek' then return string.format('%.17g', tokens) end
local wait = ''
if tokens >= cost then tokens = tokens - cost else wait = string.format('%.17g', (cost - tokens) / rate) end
redis.call('HSET', k, 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
redis.call('PEXPIRE', k, math.ceil(burst / rate * 1000) + 1000)
return wait
"""  # noqa: E501


class RedisTokenBuckets:
    """Token buckets (see store.counters) on Redis, wall-clock time (monotonic clocks are
    not comparable across machines); a bucket's key expires once it would be full again."""

    def __init__(
        self, conn: RedisConn, *, name: str = "buckets", now: Callable[[], float] = time.time
    ) -> None:
        self._conn = conn
        self._prefix = conn.key(name)
        self._now = now
        self._script = conn.aio.register_script(_BUCKET)
        self._owns = False

    @classmethod
    def open(
        cls,
        url: str,
        *,
        prefix: str = "symphony",
        now: Callable[[], float] = time.time,
        timeout_s: float = 2.0,
    ) -> RedisTokenBuckets:
        buckets = cls(RedisConn(url, prefix, timeout_s=timeout_s), now=now)
        buckets._owns = True
        return buckets

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        check_bucket(rate, burst, cost)
        found = await self._call(key, rate, burst, cost, "take")
        return None if found == "" else float(found)

    async def tokens(self, key: str, *, rate: float, burst: float) -> float:
        return float(await self._call(key, rate, burst, 0.0, "peek"))

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    async def _call(self, key: str, rate: float, burst: float, cost: float, how: str) -> str:
        args = [fmt(self._now()), fmt(rate), fmt(burst), fmt(cost), how]
        keys = [f"{self._prefix}:{key}"]
        found = await self._conn.call(lambda: self._script(keys=keys, args=args))
        return found.decode() if isinstance(found, bytes) else str(found)
