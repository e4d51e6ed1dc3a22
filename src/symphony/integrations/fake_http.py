"""The shared half of the vendor fakes: requests in, wire-format responses out, scripted
faults (status codes, timeouts, a lost answer after the request was applied), and two ways
to reach a fake: an `httpx.MockTransport` in process, or a real aiohttp server on a free
loopback port (so the real client code path is exercised)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from aiohttp import web


@dataclass(slots=True)
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(slots=True)
class FakeResponse:
    status: int
    body: Any = b""  # bytes, str (text/plain) or anything JSON-serializable
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("content-type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


@dataclass(slots=True)
class Fault:
    """Scripted failure for the next matching request."""

    status: int = 500
    body: Any = ""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: bool = False  # no answer at all
    after_apply: bool = False  # apply the request, then fail (the answer is lost)
    method: str | None = None
    path_contains: str | None = None

    def matches(self, request: FakeRequest) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path_contains is None or self.path_contains in request.path
        )


class FakeTimeoutError(Exception):
    """Raised by a fake to mean: the client waits and never gets an answer."""


class FakeVendor:
    """Base of the vendor fakes; subclasses implement `route`."""

    vendor = "fake"
    hang_s = 30.0  # how long the aiohttp server holds a timed-out request

    def __init__(self) -> None:
        self.received: list[FakeRequest] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def fail_next(self, *faults: Fault) -> None:
        """Queue faults; each applies once, to the next request it matches."""
        with self._lock:
            self.faults.extend(faults)

    def requests(self, method: str | None = None, contains: str = "") -> list[FakeRequest]:
        return [
            r
            for r in self.received
            if (method is None or r.method == method) and contains in r.path
        ]

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (or raise FakeTimeoutError)."""
        with self._lock:
            self.received.append(request)
            fault = next((f for f in self.faults if f.matches(request)), None)
            if fault is not None:
                self.faults.remove(fault)
            if fault is not None and not fault.after_apply:
                return self._fault(fault)
            response = self.route(request)
            if fault is not None:
                return self._fault(fault)
            return response

    @staticmethod
    def _fault(fault: Fault) -> FakeResponse:
        if fault.timeout:
            raise FakeTimeoutError
        return FakeResponse(fault.status, fault.body, dict(fault.headers))

    def route(self, request: FakeRequest) -> FakeResponse:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- in process ---------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this fake (timeouts raise ReadTimeout)."""

        def handler(request: httpx.Request) -> httpx.Response:
            fake = FakeRequest(
                method=request.method,
                path=request.url.path,
                query=dict(parse_qsl(request.url.query.decode())),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.content,
            )
            try:
                answer = self.handle(fake)
            except FakeTimeoutError:
                raise httpx.ReadTimeout("fake: no answer", request=request) from None
            body, ctype = answer.encoded()
            headers = {"content-type": ctype, **answer.headers}
            return httpx.Response(answer.status, content=body, headers=headers)

        return httpx.MockTransport(handler)

    # --- over a real socket -------------------------------------------------------
    async def serve(self) -> FakeServer:
        """Start an aiohttp server on 127.0.0.1 and a free port."""
        server = FakeServer(self)
        await server.start()
        return server


class FakeServer:
    def __init__(self, fake: FakeVendor) -> None:
        self.fake = fake
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fake = FakeRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
        )
        try:
            answer = self.fake.handle(fake)
        except FakeTimeoutError:
            await asyncio.sleep(self.fake.hang_s)
            return web.Response(status=504)
        body, ctype = answer.encoded()
        headers: dict[str, str] = {k: v for k, v in answer.headers.items() if k != "content-type"}
        return web.Response(
            status=answer.status, body=body, headers={**headers, "Content-Type": ctype}
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def url_path(url: str) -> str:
    return urlsplit(url).path
