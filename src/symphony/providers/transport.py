"""The tiny HTTP interface adapters speak through, with aiohttp and httpx implementations.

Production uses ``AiohttpTransport`` (measured several times faster than httpx for
proxying); ``HttpxTransport`` wraps an ``httpx.AsyncClient`` so tests can mock the wire
with respx, and is a valid fallback. Transports raise only ``TransportError`` for network
failures; adapters turn it into a ``ProviderError`` that names the upstream.

``timeout_s`` bounds connecting (including waiting for a pooled connection) and every
single read, not the whole exchange: adapters add a total deadline where they need one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Final, Protocol
from urllib.parse import urlsplit

import aiohttp
import httpx

__all__ = [
    "AiohttpTransport",
    "HttpResponse",
    "HttpTransport",
    "HttpxTransport",
    "TransportError",
]

MAX_LINE_BYTES: Final = 8 * 1024 * 1024


class TransportError(Exception):
    """The network exchange failed; ``timed_out`` tells a timeout from a broken connection."""

    def __init__(self, detail: str, *, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timed_out = timed_out


class HttpResponse(Protocol):
    """A response whose body has not been read yet."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...  # lower-cased keys

    async def read(self) -> bytes: ...

    def iter_lines(self) -> AsyncIterator[bytes]: ...  # raw lines without trailing \r\n


class HttpTransport(Protocol):
    """Sends one request; the response is open for exactly the ``async with`` block."""

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        timeout_s: float,
    ) -> AbstractAsyncContextManager[HttpResponse]: ...

    async def aclose(self) -> None: ...


class _Lines:
    """Split a chunk source into lines; an async iterator, not a generator, so nothing lingers."""

    __slots__ = ("_buffer", "_eof", "_lines", "_read_chunk")

    def __init__(self, read_chunk: Callable[[], Awaitable[bytes]]) -> None:
        self._read_chunk = read_chunk
        self._buffer = b""
        self._lines: deque[bytes] = deque()
        self._eof = False

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> bytes:
        while not self._lines:
            if self._eof:
                raise StopAsyncIteration
            chunk = await self._read_chunk()
            if not chunk:
                self._eof = True
                if self._buffer:
                    self._lines.append(self._buffer.rstrip(b"\r"))
                    self._buffer = b""
                continue
            data = self._buffer + chunk
            *complete, self._buffer = data.split(b"\n")
            if len(self._buffer) > MAX_LINE_BYTES:
                raise TransportError(f"response line longer than {MAX_LINE_BYTES} bytes")
            self._lines.extend(line.rstrip(b"\r") for line in complete)
        return self._lines.popleft()


def _lower_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items:
        name = key.lower()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


# --- aiohttp (production) -----------------------------------------------------------------


def _aiohttp_failure(exc: BaseException) -> TransportError | None:
    # TimeoutError first: aiohttp's timeout errors are also ClientErrors and OSErrors.
    if isinstance(exc, TimeoutError):
        return TransportError(f"timed out ({type(exc).__name__})", timed_out=True)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return TransportError(f"{type(exc).__name__}: {exc}".rstrip(": "))
    return None


def _salvage(content: aiohttp.StreamReader) -> bytes:
    """Bytes received before a failure that aiohttp would otherwise drop.

    `StreamReader.readany()` raises a stored connection error *before* returning data it
    already buffered, so a reset that lands while nobody is reading loses the tail of the
    stream (the partial answer we must still show and account). `_buffer`/`_read_nowait`
    are aiohttp internals (3.9-3.14); if they change we just lose the salvage.
    """
    buffer = getattr(content, "_buffer", None)
    read_nowait = getattr(content, "_read_nowait", None)
    if not buffer or read_nowait is None:
        return b""
    try:
        data = read_nowait(-1)
    except Exception:  # internals moved: no salvage, the original error still stands
        return b""
    return data if isinstance(data, bytes) else b""


class _AiohttpResponse:
    __slots__ = ("_pending", "_resp", "headers", "status")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers = _lower_headers(resp.headers.items())
        self._pending: TransportError | None = None

    async def read(self) -> bytes:
        try:
            return await self._resp.read()
        except Exception as exc:
            mapped = _aiohttp_failure(exc)
            if mapped is None:
                raise
            raise mapped from exc

    async def _read_chunk(self) -> bytes:
        if self._pending is not None:
            raise self._pending
        try:
            return await self._resp.content.readany()
        except Exception as exc:
            mapped = _aiohttp_failure(exc)
            if mapped is None:
                raise
            buffered = _salvage(self._resp.content)
            if buffered:
                self._pending = mapped  # hand over what arrived, fail on the next read
                return buffered
            raise mapped from exc

    def iter_lines(self) -> AsyncIterator[bytes]:
        return _Lines(self._read_chunk)


class _AiohttpExchange:
    __slots__ = ("_args", "_resp", "_session")

    def __init__(
        self,
        session: aiohttp.ClientSession,
        args: tuple[str, str, Mapping[str, str], bytes, float],
    ) -> None:
        self._session = session
        self._args = args
        self._resp: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> HttpResponse:
        method, url, headers, body, timeout_s = self._args
        timeout = aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_read=timeout_s)
        try:
            self._resp = await self._session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                timeout=timeout,
                allow_redirects=False,  # never replay a key header to another host
            )
        except Exception as exc:
            mapped = _aiohttp_failure(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return _AiohttpResponse(self._resp)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        resp, self._resp = self._resp, None
        if resp is None:
            return
        if exc_type is None:
            resp.release()  # back to the pool when fully read, otherwise closed
        else:
            resp.close()  # a failed or abandoned exchange never returns to the pool


class AiohttpTransport:
    """One ``aiohttp.ClientSession`` (and connection pool) per (scheme, host, port)."""

    def __init__(
        self,
        *,
        limit_per_host: int = 256,
        keepalive_timeout: float = 30.0,
        ttl_dns_cache: int = 300,
    ) -> None:
        self._limit = limit_per_host
        self._keepalive = keepalive_timeout
        self._ttl_dns = ttl_dns_cache
        self._sessions: dict[tuple[str, str, int], aiohttp.ClientSession] = {}

    def _session_for(self, url: str) -> aiohttp.ClientSession:
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise TransportError(f"invalid URL: {exc}") from exc
        key = (scheme, (parts.hostname or "").lower(), port)
        session = self._sessions.get(key)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=self._limit,
                keepalive_timeout=self._keepalive,
                ttl_dns_cache=self._ttl_dns,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._sessions[key] = session
        return session

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        timeout_s: float,
    ) -> AbstractAsyncContextManager[HttpResponse]:
        """Open one exchange; use as ``async with transport.request(...) as resp``."""
        return _AiohttpExchange(self._session_for(url), (method, url, headers, body, timeout_s))

    async def aclose(self) -> None:
        """Close every pooled session."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


# --- httpx (tests with respx; fallback) --------------------------------------------------


def _httpx_failure(exc: BaseException) -> TransportError | None:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return TransportError(f"timed out ({type(exc).__name__})", timed_out=True)
    if isinstance(exc, httpx.TransportError | httpx.DecodingError | OSError):
        return TransportError(f"{type(exc).__name__}: {exc}".rstrip(": "))
    return None


class _HttpxResponse:
    __slots__ = ("_chunks", "_resp", "headers", "status")

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp
        self.status = resp.status_code
        self.headers = _lower_headers(resp.headers.multi_items())
        self._chunks: AsyncIterator[bytes] | None = None

    async def read(self) -> bytes:
        try:
            return await self._resp.aread()
        except Exception as exc:
            mapped = _httpx_failure(exc)
            if mapped is None:
                raise
            raise mapped from exc

    async def _read_chunk(self) -> bytes:
        if self._chunks is None:
            self._chunks = self._resp.aiter_bytes()
        try:
            async for chunk in self._chunks:
                if chunk:
                    return chunk
        except Exception as exc:
            mapped = _httpx_failure(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return b""

    def iter_lines(self) -> AsyncIterator[bytes]:
        return _Lines(self._read_chunk)


class _HttpxExchange:
    __slots__ = ("_client", "_request", "_resp")

    def __init__(self, client: httpx.AsyncClient, request: httpx.Request) -> None:
        self._client = client
        self._request = request
        self._resp: httpx.Response | None = None

    async def __aenter__(self) -> HttpResponse:
        try:
            self._resp = await self._client.send(self._request, stream=True)
        except Exception as exc:
            mapped = _httpx_failure(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return _HttpxResponse(self._resp)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        resp, self._resp = self._resp, None
        if resp is not None:
            await resp.aclose()


class HttpxTransport:
    """Adapter transport over an ``httpx.AsyncClient`` (created and owned if not given)."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=256),
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        timeout_s: float,
    ) -> AbstractAsyncContextManager[HttpResponse]:
        """Open one exchange; use as ``async with transport.request(...) as resp``."""
        try:
            request = self._client.build_request(
                method, url, headers=dict(headers), content=body, timeout=httpx.Timeout(timeout_s)
            )
        except httpx.InvalidURL as exc:
            raise TransportError(f"invalid URL: {exc}") from exc
        return _HttpxExchange(self._client, request)

    async def aclose(self) -> None:
        """Close the client if this transport created it."""
        if self._owns_client:
            await self._client.aclose()
