"""Debian Chromium through Playwright's async API, for tests that serve the app in-process.

`chromium_page` yields a page and the problems it saw (page errors, console errors, CSP
violations and, with `offline=True`, every request to a host other than the loopback, which
is aborted). Chromium missing fails under CI and skips elsewhere, as the console tests do.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
LOCAL = {"127.0.0.1", "localhost"}
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def need_chromium() -> None:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install the Debian `chromium` package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@asynccontextmanager
async def chromium_page(
    *, width: int = 1280, height: int = 900, offline: bool = False, timezone: str | None = None
) -> AsyncIterator[tuple[Any, list[str]]]:
    """A fresh page; after the block, CSP violations are added to the problems list."""
    need_chromium()
    from playwright.async_api import async_playwright

    problems: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        context = await browser.new_context(
            viewport={"width": width, "height": height}, timezone_id=timezone
        )

        async def cut_off(route: Any) -> None:
            url = route.request.url
            if (urlsplit(url).hostname or "") in LOCAL or url.startswith(("data:", "blob:")):
                await route.continue_()
            else:
                problems.append(f"remote request: {url}")
                await route.abort("internetdisconnected")

        if offline:
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


async def screenshot(page: Any, folder: str, name: str) -> Path:
    """Save a screenshot under artifacts/<folder>/ (git-ignored) and return its path."""
    path = ARTIFACTS / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path))
    return path
