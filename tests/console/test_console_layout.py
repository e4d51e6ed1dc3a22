"""The console at a 1280 px laptop width: no sideways scrolling, times in the policy's zone.

Issue 12 item 10: the Model Matrix scrolled sideways at 1280 px, and the header's "Loaded"
time was the browser's clock beside reset times in the policy's zone. The browser here runs
in Asia/Tokyo and the demo policy in America/Denver, so a time in the wrong zone shows.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from app_support import LiveServer, demo_settings, serve_live
from browser_support import chromium_page, screenshot

pytestmark = pytest.mark.browser

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve_live(demo_settings(tmp_path)) as server:
        yield server


def policy_zone_text(iso_local: str) -> str:
    """What the console shows for a local ISO instant: "Tue 1 Dec 12:10 (UTC−7)"."""
    t = datetime.fromisoformat(iso_local)
    offset = t.utcoffset()
    assert offset is not None
    hours = offset.total_seconds() / 3600
    sign = "−" if hours < 0 else "+"
    zone = "UTC" if hours == 0 else f"UTC{sign}{abs(hours):g}"
    return f"{WEEKDAYS[t.weekday()]} {t.day} {MONTHS[t.month - 1]} {t:%H:%M} ({zone})"


async def test_matrix_fits_1280px_and_loaded_is_in_the_policy_zone(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        for hint in ("openai", "anthropic"):  # start windows so reset times are shown
            body = {"task": "qa", "input": "hello", "overrides": {"provider_hints": [hint]}}
            assert (await client.post("/route/execute", json=body)).status_code == 200
        policy = (await client.get("/policy")).json()
    assert policy["timezone"] == "America/Denver"
    expected_loaded = policy_zone_text(policy["loaded_at_local"])

    async with chromium_page(width=1280, timezone="Asia/Tokyo") as (page, problems):
        await page.goto(f"{live.url}/console")
        await page.wait_for_selector("#matrix-body tr .reset-at")
        await page.wait_for_function("document.querySelector('#policy-loaded').textContent !== '–'")
        widths = await page.evaluate(
            """() => {
              const box = document.querySelector('#matrix .table-scroll');
              return {page: document.scrollingElement.scrollWidth,
                      table: box.scrollWidth, box: box.clientWidth};
            }"""
        )
        loaded = await page.inner_text("#policy-loaded")
        offsets = await page.eval_on_selector_all(
            "#matrix-body .offset", "els => els.map(e => e.textContent)"
        )
        shot = await screenshot(page, "console", "matrix-1280.png")
    print(f"screenshot: {shot}")
    assert widths["page"] <= 1280, widths
    assert widths["table"] <= widths["box"], f"the Model Matrix scrolls sideways: {widths}"
    assert loaded == expected_loaded
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{2}:\d{2} \(UTC−[67]\)", loaded), loaded
    zone = loaded[loaded.index("(") :]
    assert offsets, "no reset or power-window time in the matrix"
    assert set(offsets) == {zone}, "the matrix and the header show different zones"
    assert problems == []
