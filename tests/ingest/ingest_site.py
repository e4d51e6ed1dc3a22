"""A local web site served by the tests on 127.0.0.1, and a builder for the ingest stack.

Imported by name (not as `conftest`, which is ambiguous across test folders)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from symphony.clock import FixedClock
from symphony.ingest.config import WebSettings
from symphony.ingest.governance import WebGovernance
from symphony.ingest.ratelimit import DomainRateLimiter
from symphony.ingest.stack import WebStack, open_web_stack
from symphony.rag.config import RagSettings

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
)

ROBOTS = """\
User-agent: *
Disallow: /private
Allow: /private/open$
Disallow: /*.pdf$
Disallow: /search?*q=

User-agent: OtherBot
Disallow: /
"""

AURORA = [
    "Auroras appear when charged particles from the solar wind strike the upper atmosphere.",
    "Oxygen atoms at high altitude glow green while nitrogen adds violet and deep red hues.",
    "The auroral oval shifts toward the equator during strong geomagnetic storms.",
    "Observers in Tromso, Fairbanks and Yellowknife see the lights on most clear winter nights.",
    "Photographers use wide lenses, long exposures and a sturdy tripod to capture the curtains.",
    "Space weather agencies forecast the Kp index three days ahead from solar observations.",
]
GLACIER = [
    "Glaciers form where winter snowfall exceeds summer melt for many consecutive years.",
    "Compacted snow turns into firn and eventually into dense blue glacial ice.",
    "Moving ice carves U-shaped valleys, fjords, cirques and sharp aretes into bedrock.",
    "Meltwater streams carry rock flour that gives glacial lakes their milky turquoise color.",
    "Scientists measure mass balance with stakes, snow pits and airborne laser altimetry.",
    "Retreating glaciers expose moraines that record the extent of earlier advances.",
]
VOLCANO = [
    "Volcanoes erupt when buoyant magma rises through cracks in the crust to the surface.",
    "Basaltic lava flows far because it is hot and poor in silica, so it stays fluid.",
    "Explosive eruptions fragment sticky rhyolitic magma into ash, pumice and pyroclastic flows.",
    "Volcanologists track ground swelling with GPS stations and satellite radar interferometry.",
    "Sulfur dioxide emissions rise before many eruptions and are measured by spectrometers.",
    "Shield volcanoes such as Mauna Loa have gentle slopes built from countless thin lava flows.",
]


def article(title: str, sentences: list[str], *, repeat: int = 3, nav: str = "") -> str:
    """An HTML page with navigation chrome and a long main article."""
    paragraphs = "".join(
        f"<p>{' '.join(sentences[i:] + sentences[:i])}</p>" for i in range(repeat * 2)
    )
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> | <a href='/about'>About</a> {nav}</nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Copyright 2026 Test Site</footer></body></html>"
    )


JS_PAGE = """<!doctype html><html><head><title>Rendered aurora guide</title></head><body>
<main id="app"></main>
<script>
const sentences = %s;
const app = document.getElementById("app");
const h = document.createElement("h1"); h.textContent = "Rendered aurora guide"; app.appendChild(h);
for (let i = 0; i < 6; i++) {
  const p = document.createElement("p");
  const rotated = sentences.slice(i).concat(sentences.slice(0, i));
  p.textContent = rotated.join(" ") + " Rendered by JavaScript.";
  app.appendChild(p);
}
</script></body></html>"""

PROBE_PAGE = """<!doctype html><html><head><title>Probe page</title></head><body>
<article><h1>Probe page</h1><div id="out"></div>%s</article>
<script>
fetch("/api/fact").then(r => r.json()).then(d => {
  const p = document.createElement("p");
  p.textContent = d.fact;
  document.getElementById("out").appendChild(p);
});
fetch("%s").catch(() => {});
const img = new Image(); img.src = "http://169.254.169.254/latest/meta-data/";
document.body.appendChild(img);
try { new WebSocket("%s"); } catch (e) {}
</script></body></html>"""


@dataclass
class Site:
    """The test site's knobs and what it saw."""

    base: str = ""
    port: int = 0
    robots: str = ROBOTS
    robots_status: int = 200
    hits: Counter[str] = field(default_factory=Counter)
    pages: dict[str, str] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    internal_url: str = ""

    def url(self, path: str) -> str:
        return self.base + path


def _pages(site: Site) -> dict[str, str]:
    glacier_b = [*GLACIER]
    glacier_b[2] = "Moving ice carves U-shaped valleys, fjords, cirques and sharp ridges into rock."
    return {
        "/static/aurora": article("Aurora basics", AURORA),
        "/static/glacier": article("Glacier basics", GLACIER),
        "/static/volcano": article("Volcano basics", VOLCANO),
        "/private/hidden": article("Hidden", VOLCANO),
        "/private/open": article("Open private page", GLACIER),
        "/dup/a": article("Aurora copy", AURORA, nav="<a href='/x'>X</a>"),
        "/dup/b": article("Aurora copy", AURORA, nav="<a href='/y'>Y</a> <span>2026</span>"),
        "/near/a": article("Glacier notes", GLACIER),
        "/near/b": article("Glacier notes", glacier_b),
        "/js/aurora": JS_PAGE % repr(AURORA),
        "/js/leave": article("Leaving page", VOLCANO).replace(
            "</body>",
            "<script>setTimeout(() => { location.href = '/private/hidden'; }, 50);</script></body>",
        ),
        "/links": (
            "<html><head><title>Links</title></head><body><article><h1>Index</h1>"
            f"<p>{' '.join(VOLCANO * 2)}</p>"
            "<a href='/static/aurora'>aurora</a> <a href='/private/hidden'>hidden</a> "
            "<a href='/static/glacier#part'>glacier</a> <a href='http://example.invalid/x'>out</a>"
            "</article></body></html>"
        ),
    }


def _app(site: Site) -> web.Application:
    async def robots(_request: web.Request) -> web.Response:
        return web.Response(text=site.robots, status=site.robots_status)

    async def page(request: web.Request) -> web.Response:
        body = site.pages.get(request.path)
        if body is None:
            raise web.HTTPNotFound(text="not here")
        return web.Response(text=body, content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        targets = {
            "/redirect/private": "http://10.0.0.1/admin",
            "/redirect/metadata": "http://169.254.169.254/latest/meta-data/",
            "/redirect/ok": "/static/volcano",
            "/redirect/robots": "/private/hidden",
            "/redirect/loop": "/redirect/loop",
        }
        raise web.HTTPFound(targets[request.path])

    async def hang(_request: web.Request) -> web.Response:
        await asyncio.wait_for(site.release.wait(), 60)
        return web.Response(text="too late", content_type="text/html")

    async def huge(_request: web.Request) -> web.Response:
        return web.Response(text="<p>" + "x" * 300_000 + "</p>", content_type="text/html")

    async def huge_stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(40):
            await resp.write(b"<p>" + b"y" * 16_000 + b"</p>")
        await resp.write_eof()
        return resp

    async def fact(_request: web.Request) -> web.Response:
        return web.json_response({"fact": "The probe fact arrived through the guarded fetcher."})

    async def probe(_request: web.Request) -> web.Response:
        ws = site.internal_url.replace("http://", "ws://") + "/ws"
        text = "<p>" + " ".join(GLACIER * 3) + "</p>"
        body = PROBE_PAGE % (text, site.internal_url + "/secret", ws)
        return web.Response(text=body, content_type="text/html")

    @web.middleware
    async def count(request: web.Request, handler: Callable) -> web.StreamResponse:  # type: ignore[type-arg]
        site.hits[request.path] += 1
        return await handler(request)  # type: ignore[no-any-return]

    app = web.Application(middlewares=[count])
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/redirect/{name}", redirect)
    app.router.add_get("/hang", hang)
    app.router.add_get("/huge", huge)
    app.router.add_get("/huge-stream", huge_stream)
    app.router.add_get("/api/fact", fact)
    app.router.add_get("/probe", probe)
    app.router.add_get("/{tail:.*}", page)
    return app


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    server = tcp._server
    assert server is not None
    port = int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner, port


@pytest.fixture
async def internal() -> AsyncIterator[Site]:
    """A private 'internal service' on loopback that no fetch may ever reach."""
    seen = Site()

    @web.middleware
    async def count(request: web.Request, _handler: Callable) -> web.StreamResponse:  # type: ignore[type-arg]
        seen.hits[request.path] += 1
        return web.Response(text="internal secret")

    app = web.Application(middlewares=[count])
    runner, port = await _serve(app)
    seen.port, seen.base = port, f"http://127.0.0.1:{port}"
    yield seen
    await runner.cleanup()


@pytest.fixture
async def site(internal: Site) -> AsyncIterator[Site]:
    state = Site(internal_url=internal.base)
    state.pages = _pages(state)
    runner, port = await _serve(_app(state))
    state.port, state.base = port, f"http://127.0.0.1:{port}"
    yield state
    state.release.set()
    await runner.cleanup()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))


FAST = WebGovernance(rps=1000.0, timeout_s=8.0, cache_ttl_s=0)


@dataclass
class Harness:
    stack: WebStack
    governance: WebGovernance
    web: WebSettings
    data_dir: Path

    def set_governance(self, **changes: object) -> None:
        self.governance = replace(self.governance, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def make(
    tmp_path: Path, site: Site, clock: FixedClock
) -> AsyncIterator[Callable[..., Harness]]:
    """Build a stack over tmp_path whose SSRF guard allows exactly the test site."""
    built: list[Harness] = []

    def build(
        *,
        governance: WebGovernance = FAST,
        limiter: DomainRateLimiter | None = None,
        data_dir: Path | None = None,
        rag: RagSettings | None = None,
        **web_changes: object,
    ) -> Harness:
        options: dict[str, object] = {
            "user_agent": "SymphonyTest/1.0 (+tests)",
            "allow_private_targets": (f"127.0.0.1:{site.port}",),
            "max_bytes": 128 * 1024,
            **web_changes,
        }
        web_settings = WebSettings(**options)  # type: ignore[arg-type]
        holder: list[Harness] = []
        stack = open_web_stack(
            data_dir=data_dir or tmp_path / "data",
            web=web_settings,
            rag=rag or RagSettings(chunk_tokens=60, chunk_overlap_tokens=10),
            governance=lambda: holder[0].governance,
            clock=clock,
            limiter=limiter,
        )
        harness = Harness(stack, governance, web_settings, data_dir or tmp_path / "data")
        holder.append(harness)
        built.append(harness)
        return harness

    yield build
    for harness in built:
        await harness.stack.aclose()
