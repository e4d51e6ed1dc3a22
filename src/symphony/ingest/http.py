"""A plain HTTP fetcher behind the SSRF guard: pinned addresses, manual redirects, caps.

Each hop is checked by the guard and connected to the addresses the guard saw (a resolver
that only answers with those), so a DNS answer cannot change between check and connect.
Redirects are followed here, one hop at a time, each one checked again and passed to the
caller's `admit` (governance and robots.txt); the body is read in chunks and abandoned as
soon as it passes the size cap.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from symphony.ingest.addresses import SsrfGuard, Target
from symphony.ingest.reasons import FetchFailed, Reason, Refused

Admit = Callable[[str], Awaitable[None]]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


class PinnedResolver(AbstractResolver):
    """Answer only for the guarded host, with exactly the addresses the guard checked."""

    def __init__(self, target: Target) -> None:
        self._target = target

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.rstrip(".").lower() != self._target.host:
            raise OSError(f"refusing to resolve unguarded host {host!r}")
        out: list[ResolveResult] = []
        for address in self._target.addresses:
            fam = socket.AF_INET6 if ":" in address else socket.AF_INET
            out.append(
                ResolveResult(
                    hostname=host,
                    host=address,
                    port=port,
                    family=fam,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        return out

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Response:
    """One fetched resource (after redirects)."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed_s: float
    redirects: tuple[str, ...]

    @property
    def content_type(self) -> str:
        return self.header("content-type").split(";", 1)[0].strip().lower()

    def header(self, name: str) -> str:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return ""

    def text(self) -> str:
        """Decode the body: header charset, then <meta charset>, then UTF-8 with replacement."""
        charset = ""
        match = re.search(r"charset=([\w-]+)", self.header("content-type"), re.IGNORECASE)
        if match:
            charset = match.group(1)
        else:
            meta = _CHARSET.search(self.body[:4096])
            if meta:
                charset = meta.group(1).decode("ascii", "replace")
        try:
            return self.body.decode(charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class HttpFetcher:
    """GET (or any method) through the guard, with a total timeout and a body size cap."""

    def __init__(
        self, guard: SsrfGuard, *, user_agent: str, max_bytes: int, max_redirects: int
    ) -> None:
        self.guard = guard
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    async def fetch(
        self,
        url: str,
        *,
        timeout_s: float,
        admit: Admit | None = None,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        follow_redirects: bool = True,
        max_bytes: int | None = None,
    ) -> Response:
        """Fetch `url`; each redirect hop is guarded and passed to `admit` before it is sent."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                return await self._follow(
                    url, method, headers, data, admit, follow_redirects, max_bytes, started
                )
        except TimeoutError:
            raise FetchFailed(
                Reason.TIMEOUT, f"no complete answer from {url} within {timeout_s:g}s", url=url
            ) from None

    async def _follow(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str] | None,
        data: bytes | None,
        admit: Admit | None,
        follow: bool,
        max_bytes: int | None,
        started: float,
    ) -> Response:
        cap = self.max_bytes if max_bytes is None else max_bytes
        hops: list[str] = []
        current = url
        while True:
            target = await self.guard.check(current)
            status, resp_headers, body = await self._one(target, method, headers, data, cap)
            location = _header(resp_headers, "location")
            if not (follow and status in REDIRECTS and location):
                return Response(
                    current, status, resp_headers, body, time.perf_counter() - started, tuple(hops)
                )
            if len(hops) >= self.max_redirects:
                raise Refused(
                    Reason.TOO_MANY_REDIRECTS,
                    f"more than {self.max_redirects} redirects from {url}",
                    url=url,
                )
            hops.append(current)
            current = urljoin(current, location)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, data = "GET", None
            if admit is not None:
                await admit(current)

    async def _one(
        self,
        target: Target,
        method: str,
        headers: Mapping[str, str] | None,
        data: bytes | None,
        cap: int,
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
        sent = {"User-Agent": self.user_agent, **(headers or {})}
        connector = aiohttp.TCPConnector(
            resolver=PinnedResolver(target), use_dns_cache=False, force_close=True, limit=1
        )
        try:
            async with (
                aiohttp.ClientSession(connector=connector, trust_env=False) as session,
                session.request(
                    method, target.url, headers=sent, data=data, allow_redirects=False
                ) as resp,
            ):
                declared = resp.content_length
                if declared is not None and declared > cap:
                    raise _too_large(target.url, cap, declared)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(65_536):
                    size += len(chunk)
                    if size > cap:
                        raise _too_large(target.url, cap, None)
                    chunks.append(chunk)
                return resp.status, tuple(resp.headers.items()), b"".join(chunks)
        except aiohttp.ClientConnectorError as exc:
            raise FetchFailed(
                Reason.CONNECT_FAILED, f"cannot connect to {target.origin}: {exc}", url=target.url
            ) from None
        except aiohttp.ClientError as exc:
            raise FetchFailed(
                Reason.CONNECT_FAILED, f"{target.url}: {type(exc).__name__}: {exc}", url=target.url
            ) from None


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def _too_large(url: str, cap: int, declared: int | None) -> Refused:
    size = f"{declared} bytes" if declared is not None else "the body"
    return Refused(Reason.TOO_LARGE, f"{size} exceeds the {cap}-byte cap", url=url)
