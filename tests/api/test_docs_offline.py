"""`/docs` and `/redoc` work with the network cut off: assets come from a wheel, not a CDN.

Chromium loads both pages from a live server while every request to a host other than the
loopback is aborted (and recorded): Swagger UI must render the operations and ReDoc the
reference, with no request leaving the machine, no page error and no CSP violation
(issue 12 item 9).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_support import LiveServer, demo_settings, serve_live
from browser_support import chromium_page, screenshot


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
    async with chromium_page(offline=True) as (page, problems):
        yield page, problems


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
    await screenshot(page, "docs", "swagger-offline.png")
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
    await screenshot(page, "docs", "redoc-offline.png")
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [p for p in problems if not (p.startswith("console:") and logo in p)] == []
