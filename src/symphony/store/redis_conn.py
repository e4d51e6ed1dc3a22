"""One Redis connection for the Redis store backends: clients, key names, scripts, errors.

Every store of one process shares a `RedisConn` (its async client for the event loop and,
for the sync variants some seams have, a sync client). Key names all start with
`{prefix}:` where the prefix is in braces: a Redis Cluster hash tag, so every key of one
store lands in one slot and its Lua scripts may touch several keys atomically.

Errors: a connection or timeout error becomes `BackendUnavailable("redis", …)`, a 503
naming the backend (never a 500, never an admission made without the counter). The
client reconnects by itself on the next command once Redis is back; nothing here needs a
restart. Timeouts are short (SYMPHONY_STORE_TIMEOUT_S, default 2 s, to connect and per
command) so a lost backend fails requests quickly instead of holding them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from symphony.errors import BackendUnavailable, StoreError

T = TypeVar("T")
_closing: set[asyncio.Task[None]] = set()
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


def safe_url(url: str) -> str:
    """`url` without its password, for messages and health."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RedisConn:
    """The clients and key prefix the Redis stores of one process share."""

    def __init__(
        self,
        url: str,
        prefix: str = "symphony",
        *,
        timeout_s: float = 2.0,
        max_connections: int = 64,
    ) -> None:
        self.url = url
        self.where = safe_url(url)
        self.prefix = "{" + prefix + "}"
        options: dict[str, Any] = {
            "socket_connect_timeout": timeout_s,
            "socket_timeout": timeout_s,
            "retry": Retry(NoBackoff(), 1),
            "health_check_interval": 10,
        }
        # A blocking pool: a burst of coroutines waits for a connection (up to the timeout)
        # instead of failing with "too many connections".
        # Waiting for a free connection is local queueing, not the backend being away:
        # allow longer than a command (a burst on a loaded machine must not look like a 503).
        pool = aredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=max(10.0, timeout_s), **options
        )
        self.aio: aredis.Redis = aredis.Redis.from_pool(pool)  # owns the pool
        self._options = options
        self._sync: redis.Redis | None = None
        self.last_error: str | None = None
        self.failed_at: float | None = None
        self.closed = False

    @property
    def sync(self) -> redis.Redis:
        """The blocking client (created on first use)."""
        if self._sync is None:
            self._sync = redis.Redis.from_url(self.url, **self._options)
        return self._sync

    def key(self, *parts: str) -> str:
        """A key of this store: `{prefix}:part:part…`."""
        return ":".join((self.prefix, *parts))

    async def call(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run one async Redis operation, turning a lost connection into a typed 503."""
        if self.closed:
            raise StoreError(f"redis store at {self.where} is closed")
        try:
            result = await op()
        except UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc
        self.last_error = None
        return result

    def call_sync(self, op: Callable[[], T]) -> T:
        """`call` for the blocking client."""
        if self.closed:
            raise StoreError(f"redis store at {self.where} is closed")
        try:
            result = op()
        except UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc
        self.last_error = None
        return result

    async def ping(self) -> str | None:
        """None when Redis answers, else why not (for health)."""
        try:
            await self.aio.ping()
        except UNAVAILABLE as exc:
            return str(self._unavailable(exc))
        self.last_error = None
        return None

    def _unavailable(self, exc: BaseException) -> BackendUnavailable:
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.failed_at = time.time()
        return BackendUnavailable("redis", self.where, self.last_error)

    async def aclose(self) -> None:
        self.closed = True
        await self.aio.aclose()
        self.close_sync()

    def close(self) -> None:
        """Close from sync code: the blocking client now, the async one on the running
        loop (if any; otherwise its sockets close with the loop that opened them)."""
        self.close_sync()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.aio.aclose())
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    def close_sync(self) -> None:
        """Close the blocking client (the async one closes in `aclose`)."""
        self.closed = True
        if self._sync is not None:
            self._sync.close()
            self._sync = None


def fmt(value: float) -> str:
    """A float as Lua reads it back exactly."""
    return repr(float(value))
