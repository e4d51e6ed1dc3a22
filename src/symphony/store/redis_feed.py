"""The feed on a Redis Stream: one ordered stream of messages for every process.

`publish` never waits: it queues the message for a writer task that XADDs it (the stream
keeps about 2 × the buffer, `MAXLEN ~`). A reader task XREADs the stream from where it
was and, for every entry (this process's own included), stamps the id the stream assigned
(`<ms>-<n>` as the integer ms × 1,000,000 + n, increasing across every process), appends
it to the local replay buffer and offers it to the local subscribers. So every replica
delivers the same messages in the same order, with the same ids, and a client that
reconnects to another replica with `Last-Event-ID` continues where it was. At start the
buffer is filled from the stream's tail, so a fresh replica can replay too.

Redis away: messages published meanwhile wait in a bounded queue (the oldest are dropped
beyond it, counted in `lost_total`); the reader retries every second. Events are
notifications, never the record (that is the audit trail), so the feed fails soft.
`flush()` waits until what was published so far has come back from the stream (tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic

from symphony.store.pubsub import Accept, M, Subscription
from symphony.store.redis_conn import UNAVAILABLE, RedisConn

log = logging.getLogger(__name__)
MAX_PENDING = 10_000


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def stream_id(raw: bytes | str) -> int:
    """A stream entry id "<ms>-<n>" as one increasing integer."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, n = text.partition("-")
    return int(ms) * 1_000_000 + int(n or 0)


def entry_id(value: int) -> str:
    """The stream entry id for an integer id."""
    return f"{value // 1_000_000}-{value % 1_000_000}"


class RedisFeed(Generic[M]):
    """A Feed (see store.pubsub) on one Redis Stream, shared by every process."""

    def __init__(
        self,
        conn: RedisConn,
        name: str,
        *,
        encode: Callable[[M], bytes],
        decode: Callable[[bytes], M],
        buffer_size: int = 2048,
    ) -> None:
        self._conn = conn
        self._stream = conn.key("feed", name)
        self._encode = encode
        self._decode = decode
        self._size = buffer_size
        self._buffer: deque[M] = deque(maxlen=buffer_size)
        self._floor = 0  # the id of the newest message no longer in the buffer
        self._last = 0
        self._subscribers: set[Subscription[M]] = set()
        self._dropped = 0
        self.lost_total = 0
        self._origin = secrets.token_hex(6)
        self._pending: deque[tuple[str, M]] = deque()
        self._mine: dict[str, M] = {}
        self._wake = asyncio.Event()
        self._seen = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._cursor = "0-0"
        self._starting: asyncio.Task[None] | None = None
        self.closed = False
        self._owns = False

    @property
    def last_id(self) -> int:
        return self._last

    @property
    def buffer(self) -> Sequence[M]:
        return self._buffer

    @property
    def subscribers(self) -> set[Subscription[M]]:
        return self._subscribers

    @property
    def dropped_total(self) -> int:
        return self._dropped

    async def start(self) -> None:
        """Fill the buffer from the stream's tail, then start the writer and reader. Callers
        share one start (a fact published before the app's loops start used to begin a
        second one: two writers popping one queue)."""
        if self.closed:
            return
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        if self._tasks or self.closed:
            return
        tail: Any
        try:
            tail = await self._conn.call(
                lambda: self._conn.aio.xrevrange(self._stream, count=self._size + 1)
            )
        except Exception as exc:  # fail soft: start empty, the reader retries
            log.warning("event feed: cannot read %s: %s", self._stream, exc)
            tail = []
        entries = list(reversed(tail))
        if len(entries) > self._size:
            self._floor = stream_id(entries[0][0])
            entries = entries[1:]
        for raw_id, fields in entries:
            self._append(stream_id(raw_id), self._decode(fields[b"b"]))
        # Read on from the tail we loaded ("$" would race with our own first writes).
        self._cursor = entry_id(self._last) if entries else "0-0"
        self._tasks = [
            asyncio.create_task(self._write(), name="feed-writer"),
            asyncio.create_task(self._read(), name="feed-reader"),
        ]

    def _ensure_started(self) -> None:
        if self._starting is None and not self.closed:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # sync code: starts with the first call on a loop
            self._starting = loop.create_task(self._start())

    def publish(self, message: M) -> M:
        self._ensure_started()
        token = secrets.token_hex(8)
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            self.lost_total += 1
        self._pending.append((token, message))
        self._mine[token] = message
        self._wake.set()
        return message

    async def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until every message published so far came back from the stream."""
        self._ensure_started()
        if self._starting is not None:
            await self._starting
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while self._mine:
            if loop.time() > end:
                raise TimeoutError(
                    f"event feed: {len(self._mine)} message(s) not yet in the stream"
                )
            self._seen.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._seen.wait(), 0.05)

    def subscribe(
        self, *, after: int | None = None, accept: Accept | None = None, max_queue: int = 1024
    ) -> tuple[Subscription[M], list[M], bool]:
        self._ensure_started()
        sub: Subscription[M] = Subscription(accept, max_queue, self._drop)
        replay: list[M] = []
        too_old = False
        if after is not None:
            if after < self._floor or after > self._last:
                too_old = True  # fell out of the buffer, or an id from another stream
            else:
                replay = [m for m in self._buffer if m.id > after and sub.wants(m)]
        if not self.closed:
            self._subscribers.add(sub)
        else:
            sub.close()
        return sub, replay, too_old

    def unsubscribe(self, subscription: Subscription[M]) -> None:
        self._subscribers.discard(subscription)

    def close(self) -> None:
        self.closed = True
        self._wake.set()
        for task in (*self._tasks, *([self._starting] if self._starting else [])):
            if not task.done():
                with contextlib.suppress(RuntimeError):  # its loop is already closed
                    task.cancel()
        for sub in tuple(self._subscribers):
            sub.close()
        self._subscribers.clear()
        if self._owns:
            self._conn.close()

    async def aclose(self) -> None:
        """`close`, then wait for the background tasks to end (and the connection, if ours)."""
        owns, self._owns = self._owns, False
        self.close()
        tasks = [*self._tasks, *([self._starting] if self._starting else [])]
        await asyncio.gather(*tasks, return_exceptions=True)
        if owns:
            await self._conn.aclose()

    # --- tasks ---------------------------------------------------------------------------

    async def _write(self) -> None:
        while not self.closed:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                token, message = self._pending[0]
                fields: dict[Any, Any] = {
                    "o": f"{self._origin}:{token}",
                    "b": self._encode(message),
                }
                try:
                    await self._conn.aio.xadd(
                        self._stream, fields, maxlen=2 * self._size, approximate=True
                    )
                except UNAVAILABLE as exc:
                    if self.closed or _cancelling():
                        return
                    log.warning("event feed: cannot publish to %s: %s", self._stream, exc)
                    await asyncio.sleep(1.0)
                    continue
                self._pending.popleft()

    async def _read(self) -> None:
        while not self.closed:
            found: Any
            try:
                found = await self._conn.aio.xread({self._stream: self._cursor}, block=1000)
            except UNAVAILABLE as exc:
                if self.closed or _cancelling():  # redis-py may turn a cancel into this
                    return
                log.warning("event feed: cannot read %s: %s", self._stream, exc)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in found or ():
                for raw_id, fields in entries:
                    self._cursor = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
                    self._receive(stream_id(raw_id), fields)
            self._seen.set()

    def _receive(self, id: int, fields: dict[bytes, bytes]) -> None:
        origin, _, token = fields.get(b"o", b"").decode().partition(":")
        mine = self._mine.pop(token, None) if origin == self._origin else None
        message = mine if mine is not None else self._decode(fields[b"b"])
        self._append(id, message)
        for sub in tuple(self._subscribers):
            if sub.wants(message):
                sub.offer(message)

    def _append(self, id: int, message: M) -> None:
        message.id = id
        if len(self._buffer) == self._size:
            self._floor = self._buffer[0].id
        self._buffer.append(message)
        self._last = id

    def _drop(self, subscription: Any) -> None:
        self._dropped += 1
        self._subscribers.discard(subscription)
