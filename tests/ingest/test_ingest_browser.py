"""`visit` ingest through real Chromium (Debian /usr/bin/chromium driven by Playwright)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from ingest_site import FAST, Harness, Site, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_javascript_content_is_extracted_only_when_rendered(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    [scraped] = await h.stack.ingest.ingest([site.url("/js/aurora")], "scrape")
    assert (scraped.outcome, scraped.reason) == ("failed", "no_content")
    [visited] = await h.stack.ingest.ingest([site.url("/js/aurora")], "visit")
    assert visited.outcome == "ingested", visited.detail
    assert visited.title == "Rendered aurora guide"
    [top] = await h.stack.rag.query("rendered by javascript geomagnetic storms", k=1)
    assert "Rendered by JavaScript." in top.text
    assert top.citation.url == site.url("/js/aurora")


async def test_every_sub_request_goes_through_the_guard(
    make: Callable[..., Harness], site: Site, internal: Site
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/probe")], "visit")
    assert outcome.outcome == "ingested", outcome.detail
    assert "sub-request(s) refused" in outcome.detail
    assert sum(internal.hits.values()) == 0  # the internal service saw nothing, not even a WS
    assert site.hits["/api/fact"] == 1  # allowed same-site XHR was served via the guard
    [top] = await h.stack.rag.query("probe fact arrived guarded fetcher", k=1)
    assert "The probe fact arrived through the guarded fetcher." in top.text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/redirect/private", "private_address"),
        ("/redirect/metadata", "private_address"),
        ("/redirect/robots", "robots_disallowed"),
        ("/private/hidden", "robots_disallowed"),
    ],
)
async def test_navigation_refusals_in_the_browser(
    make: Callable[..., Harness], site: Site, path: str, reason: str
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url(path)], "visit")
    assert (outcome.outcome, outcome.reason) == ("refused", reason)
    assert site.hits["/private/hidden"] == 0


async def test_browser_redirect_to_allowed_page_and_screenshot(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make(governance=replace(FAST, screenshots=True))
    [outcome] = await h.stack.ingest.ingest([site.url("/redirect/ok")], "visit")
    assert outcome.outcome == "ingested", outcome.detail
    assert outcome.final_url == site.url("/static/volcano")
    stored = h.stack.snapshots.get(outcome.snapshot_id or "")
    assert stored is not None
    assert stored.screenshot is not None
    assert stored.screenshot.startswith(b"\x89PNG")


async def test_hanging_page_times_out_in_the_browser(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make(governance=replace(FAST, timeout_s=2.0))
    [outcome] = await h.stack.ingest.ingest([site.url("/hang")], "visit")
    assert (outcome.outcome, outcome.reason) == ("failed", "timeout")


async def test_huge_page_is_refused_in_the_browser(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/huge-stream")], "visit")
    assert (outcome.outcome, outcome.reason) == ("refused", "too_large")


async def test_page_navigating_itself_away_is_captured_as_rendered(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/js/leave")], "visit")
    assert outcome.outcome == "ingested", outcome.detail
    assert outcome.final_url == site.url("/js/leave")
    assert "1 sub-request(s) refused" in outcome.detail  # the navigation was attempted
    assert site.hits["/private/hidden"] == 0  # never admitted, never fetched
    [top] = await h.stack.rag.query("shield volcanoes Mauna Loa", k=1)
    assert top.citation.title == "Leaving page"
