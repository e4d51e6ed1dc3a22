"""Fetch a page with real Chromium (Playwright over Debian's /usr/bin/chromium).

Chromium itself never touches the network: every request it makes, the page and each
sub-request, is intercepted by a route handler and performed by the guarded HttpFetcher
(same SSRF rule, pinned addresses, size cap), then handed back with `route.fulfill`.
Chromium follows a fulfilled redirect without asking the route again, so redirects are
never fulfilled: sub-resources are followed inside the fetcher (each hop guarded) and a
top-level redirect aborts the navigation and is re-navigated here after `admit` (robots,
governance) has approved the new URL. As a second wall, Chromium is pointed at a dead proxy
with no bypass for loopback, so anything that escaped the route (a WebSocket, a follow-up
Chromium made on its own) has nowhere to go; WebSockets are also refused by a route.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from symphony.ingest.config import BROWSER_ARGS
from symphony.ingest.http import REDIRECTS, Admit, HttpFetcher
from symphony.ingest.page import FetchedPage
from symphony.ingest.reasons import FetchFailed, Reason, Refused, WebError

# Playwright (its driver and ~200 modules) loads at the first browser fetch, not at startup.
if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Playwright,
        Route,
        WebSocketRoute,
    )
    from playwright.async_api import Request as PwRequest
    from playwright.async_api._context_manager import PlaywrightContextManager


def _pw_error() -> type[Exception]:
    """Playwright's error class, imported when an error can first be caught."""
    from playwright.async_api import Error

    return Error


def _async_playwright() -> PlaywrightContextManager:
    from playwright.async_api import async_playwright

    return async_playwright()


log = logging.getLogger(__name__)

DEAD_PROXY = "http://127.0.0.1:9"
ISOLATION_ARGS = ("--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND")
_HOP_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
)
_NOT_FORWARDED = frozenset({"host", "content-length", "connection", "accept-encoding"})
_IDLE_WAIT_S = 3.0


@dataclass
class _Navigation:
    """What the route handler learned about the current top-level navigation."""

    redirect_to: str | None = None
    error: WebError | None = None
    navigated: bool = False  # the page's own top-level request was seen
    blocked: list[tuple[str, str]] = field(default_factory=list)


class BrowserFetcher:
    """One Chromium per process, launched on first use; one fresh context per page."""

    def __init__(
        self,
        http: HttpFetcher,
        *,
        executable: Path,
        user_agent: str,
        max_redirects: int,
        launch_args: tuple[str, ...] = BROWSER_ARGS,
    ) -> None:
        self._http = http
        self.executable = executable
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self._args = [*launch_args, *ISOLATION_ARGS]
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def _ensure(self) -> Browser:
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if not self.executable.exists():
                raise FetchFailed(
                    Reason.BROWSER_FAILED,
                    f"no Chromium at {self.executable} (apt-get install chromium, or set "
                    "SYMPHONY_WEB_BROWSER_PATH)",
                    url="",
                )
            if self._playwright is None:
                self._playwright = await _async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(self.executable),
                args=self._args,
                proxy={"server": DEAD_PROXY},
            )
            return self._browser

    async def close(self) -> None:
        """Close Chromium and the Playwright driver."""
        async with self._lock:
            if self._browser is not None:
                await self._browser.close()
                self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None

    async def fetch(
        self, url: str, *, timeout_s: float, admit: Admit, screenshot: bool = False
    ) -> FetchedPage:
        """Render `url` (JavaScript runs); each top-level redirect hop goes through `admit`."""
        started = time.perf_counter()
        deadline = started + timeout_s
        try:
            browser = await self._ensure()
        except _pw_error() as exc:
            raise FetchFailed(
                Reason.BROWSER_FAILED, f"Chromium did not start: {exc}", url=url
            ) from None
        try:
            context = await browser.new_context(
                user_agent=self.user_agent, service_workers="block", accept_downloads=False
            )
        except _pw_error() as exc:
            raise FetchFailed(Reason.BROWSER_FAILED, f"Chromium: {exc}", url=url) from None
        nav = _Navigation()
        try:
            await context.route_web_socket(re.compile(".*"), _refuse_websocket)
            await context.route(
                "**/*", lambda route, request: self._handle(route, request, nav, deadline)
            )
            return await self._render(context, nav, url, started, timeout_s, admit, screenshot)
        except _pw_error() as exc:
            raise FetchFailed(
                Reason.BROWSER_FAILED, f"Chromium failed on {url}: {exc}", url=url
            ) from None
        finally:
            with contextlib.suppress(_pw_error()):
                await context.close()

    async def _render(
        self,
        context: BrowserContext,
        nav: _Navigation,
        url: str,
        started: float,
        timeout_s: float,
        admit: Admit,
        screenshot: bool,
    ) -> FetchedPage:
        deadline = started + timeout_s
        current = url
        for _hop in range(self.max_redirects + 1):
            page = await context.new_page()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise _timeout(url, timeout_s)
            nav.navigated = False
            try:
                response = await page.goto(
                    current, wait_until="load", timeout=(remaining + 2.0) * 1000
                )
            except _pw_error() as exc:
                await page.close()
                if nav.redirect_to is not None:
                    current, nav.redirect_to = urljoin(current, nav.redirect_to), None
                    await admit(current)
                    continue
                if nav.error is not None:
                    raise nav.error from None
                if "Timeout" in str(exc) or time.perf_counter() >= deadline:
                    raise _timeout(url, timeout_s) from None
                raise FetchFailed(
                    Reason.BROWSER_FAILED, f"Chromium could not load {current}: {exc}", url=url
                ) from None
            idle = min(_IDLE_WAIT_S, max(0.0, deadline - time.perf_counter()))
            # a page that keeps polling is still a page: take what has rendered
            with contextlib.suppress(_pw_error()):
                await page.wait_for_load_state("networkidle", timeout=idle * 1000)
            html = await page.content()
            shot = await page.screenshot(full_page=True, type="png") if screenshot else None
            content_type = "text/html"
            if response is not None:
                content_type = await response.header_value("content-type") or content_type
            return FetchedPage(
                url=url,
                final_url=page.url,
                status=response.status if response is not None else 200,
                html=html,
                content_type=content_type.split(";", 1)[0].strip().lower(),
                elapsed_s=time.perf_counter() - started,
                screenshot=shot,
                blocked=tuple(nav.blocked),
            )
        raise Refused(
            Reason.TOO_MANY_REDIRECTS, f"more than {self.max_redirects} redirects", url=url
        )

    async def _handle(
        self, route: Route, request: PwRequest, nav: _Navigation, deadline: float
    ) -> None:
        url = request.url
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("data", "blob", "about"):
            await route.continue_()
            return
        top_level = request.is_navigation_request() and request.frame.parent_frame is None
        if top_level and nav.navigated:
            # the page navigating itself (script, meta refresh) after we asked for it: the
            # new target was never admitted. A 204 answer cancels a navigation and keeps the
            # current document (an abort would replace it with Chromium's error page).
            nav.blocked.append((url, "navigation"))
            with contextlib.suppress(_pw_error()):
                await route.fulfill(status=204, body=b"")
            return
        if top_level:
            nav.navigated = True
        remaining = deadline - time.perf_counter()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        try:
            if remaining <= 0:
                raise _timeout(url, 0)
            response = await self._http.fetch(
                url,
                timeout_s=remaining,
                method=request.method,
                headers=headers,
                data=request.post_data_buffer,
                follow_redirects=not top_level,
            )
        except WebError as exc:
            nav.blocked.append((url, exc.reason.value))
            if top_level:
                nav.error = exc
            log.info("browser request refused: %s (%s)", url, exc.reason.value)
            await _abort(route)
            return
        location = response.header("location")
        if top_level and response.status in REDIRECTS and location:
            nav.redirect_to = location
            await _abort(route)
            return
        await route.fulfill(
            status=response.status,
            headers={k: v for k, v in response.headers if k.lower() not in _HOP_HEADERS},
            body=response.body,
        )


async def _abort(route: Route) -> None:
    with contextlib.suppress(_pw_error()):  # the page may have gone away meanwhile
        await route.abort("blockedbyclient")


async def _refuse_websocket(ws: WebSocketRoute) -> None:
    """Never connect page WebSockets (they would bypass the guarded fetcher)."""
    log.info("browser WebSocket refused: %s", ws.url)
    await ws.close(code=1008, reason="refused by the ingest guard")


def _timeout(url: str, timeout_s: float) -> FetchFailed:
    return FetchFailed(Reason.TIMEOUT, f"{url} did not load within {timeout_s:g}s", url=url)
