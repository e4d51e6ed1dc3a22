"""`/docs` and `/redoc` work with the network cut off: assets come from a wheel, not a CDN.

Chromium loads both pages from a live server while every request to a host other than the
loopback is aborted (and recorded): Swagger UI must render the operations and ReDoc the
reference, with no request leaving the machine, no page error and no CSP violation
(issue 12 item 9).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app_support import LiveServer, demo_settings, serve_live

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "docs"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
LOCAL = {"127.0.0.1", "localhost"}
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve_live(demo_settings(tmp_path)) as server:
        yield server


async def test_docs_pages_name_only_local_assets(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        for path in ("/docs", "/redoc"):
            page = await client.get(path)
            assert page.status_code == 200
            assert "https://" not in page.text, f"{path} still names a remote URL"
            csp = page.headers["content-security-policy"]
            assert "https:" not in csp
            assert "script-src 'self' 'unsafe-inline';" in csp
        asset = await client.get("/docs/assets/swagger-ui-bundle.js")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith("text/javascript")
        assert len(asset.content) > 500_000
        assert (await client.get("/docs/assets/..%2Fcore.py")).status_code == 404
        missing = await client.get("/docs/assets/core.py")  # in the package, not an asset
        assert missing.status_code == 404
        assert "no docs asset 'core.py'" in missing.json()["error"]["message"]


@pytest.fixture
async def offline_page(live: LiveServer) -> AsyncIterator[tuple[Any, list[str]]]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install the Debian `chromium` package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.async_api import async_playwright

    problems: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900})

        async def cut_off(route: Any) -> None:
            host = urlsplit(route.request.url).hostname or ""
            if host in LOCAL or route.request.url.startswith(("data:", "blob:")):
                await route.continue_()
            else:
                problems.append(f"remote request: {route.request.url}")
                await route.abort("internetdisconnected")

        await context.route("**/*", cut_off)
        page = await context.new_page()
        await page.add_init_script(WATCH_CSP)
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        try:
            yield page, problems
            problems.extend(f"CSP: {v}" for v in await page.evaluate("window.__csp || []"))
        finally:
            await context.close()
            await browser.close()


@pytest.mark.browser
async def test_swagger_ui_renders_the_operations_offline(
    live: LiveServer, offline_page: tuple[Any, list[str]]
) -> None:
    page, problems = offline_page
    await page.goto(f"{live.url}/docs")
    await page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = await page.eval_on_selector_all(
        ".opblock-summary-path", "els => els.map(e => e.getAttribute('data-path'))"
    )
    assert "/route/execute" in paths
    assert "/status/health.json" in paths
    assert "Symphony" in await page.inner_text(".info .title")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "swagger-offline.png"))
    assert problems == []


@pytest.mark.browser
async def test_redoc_renders_the_reference_offline(
    live: LiveServer, offline_page: tuple[Any, list[str]]
) -> None:
    page, problems = offline_page
    await page.goto(f"{live.url}/redoc")
    await page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
    sections = await page.eval_on_selector_all(
        "[data-section-id^='operation/']", "els => els.length"
    )
    assert sections > 20
    assert "Plan and run the work" in await page.inner_text("body")
    # ReDoc's sidebar credit names one remote image (its own onError hides it); the docs CSP
    # blocks it before any request is made, so nothing leaves the machine.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [p for p in problems if not (p.startswith("console:") and logo in p)] == []
