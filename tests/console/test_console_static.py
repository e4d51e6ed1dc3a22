"""The console's page and files as served by the app (no browser): CSP-safe, complete, confined."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import fastapi
import httpx
import pytest
from fastapi import FastAPI

from symphony.app import create_app
from symphony.clock import FixedClock
from symphony.console.router import STATIC_DIR, router
from symphony.settings import Settings


def _has_console(app: FastAPI) -> bool:
    # FastAPI >= 0.16x keeps included routers lazily; iterate what the app really serves.
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(iterate(app.routes)) if iterate is not None else list(app.routes)
    return any(getattr(r, "path", None) == "/console" for r in routes)


@pytest.fixture
async def client(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock, environ={})
    if not _has_console(app):
        app.include_router(router)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://symphony.test") as c:
            yield c


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.ids: list[str] = []
        self.labels_for: set[str] = set()
        self.controls: list[tuple[str, str]] = []
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.handlers += [f"{tag}[{k}]" for k in a if k.startswith("on")]
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "script":
            self.scripts.append(a)
        if tag == "link":
            self.links.append(a)
        if tag == "label" and a.get("for"):
            self.labels_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append((tag, str(a.get("id"))))
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.add(tag)


async def test_page_is_served_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    resp = await client.get("/console")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    csp = resp.headers["content-security-policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    page = _Page()
    page.feed(resp.text)
    # No inline scripts or handlers: every script is a file from the console's own folder.
    sources = [str(s.get("src") or "") for s in page.scripts]
    assert sources
    assert all(src.startswith("/console/static/") for src in sources)
    assert page.handlers == []
    assert page.landmarks == {"header", "nav", "main", "footer"}
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    unlabelled = [c for c in page.controls if c[1] not in page.labels_for]
    assert unlabelled == []
    for ref in sources + [str(link["href"]) for link in page.links]:
        asset = await client.get(ref)
        assert asset.status_code == 200, ref


async def test_every_module_import_resolves_to_a_served_file(client: httpx.AsyncClient) -> None:
    scripts = sorted(STATIC_DIR.glob("*.js"))
    assert scripts
    for script in scripts:
        resp = await client.get(f"/console/static/{script.name}")
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/javascript")
        assert resp.headers["x-content-type-options"] == "nosniff"
        for target in re.findall(r'from\s+"\./([^"]+)"', resp.text):
            assert (STATIC_DIR / target).is_file(), f"{script.name} imports missing {target}"
        # No eval-like code and no HTML injection sinks: text goes in through textContent.
        for banned in ("eval(", "new Function", "innerHTML", "document.write"):
            assert banned not in resp.text, f"{script.name} uses {banned}"
    css = await client.get("/console/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "prefers-reduced-motion" in css.text


BAD_NAMES = ["nope.js", "..%2Fapp.py", "router.py", "index.html", ".hidden.js", "APP.JS"]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_only_console_assets_are_served(client: httpx.AsyncClient, name: str) -> None:
    resp = await client.get(f"/console/static/{name}")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


async def test_trailing_slash_redirects_to_the_page(client: httpx.AsyncClient) -> None:
    resp = await client.get("/console/")
    assert resp.status_code == 308
    assert resp.headers["location"] == "/console"


def test_the_app_serves_the_console(settings: Settings) -> None:
    """`create_app` must include `symphony.console.router.router` (the page at /console)."""
    assert _has_console(create_app(settings, environ={}))
