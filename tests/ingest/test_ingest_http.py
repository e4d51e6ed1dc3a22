"""`scrape` ingest against the local test site: every rule, every outcome, named reasons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from ingest_site import FAST, Harness, Site

from symphony.clock import FixedClock


async def test_article_is_ingested_with_title_hash_snapshot_and_chunks(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/static/aurora")], "scrape")
    assert (outcome.outcome, outcome.reason) == ("ingested", None)
    assert outcome.title == "Aurora basics"
    assert outcome.sha256 is not None
    assert len(outcome.sha256) == 64
    assert outcome.chunks > 1
    assert outcome.snapshot_id is not None
    passages = await h.stack.rag.query("solar wind charged particles")
    assert passages
    assert passages[0].citation.url == site.url("/static/aurora")
    assert "Copyright 2026" not in passages[0].text  # boilerplate stripped


async def test_robots_disallowed_page_is_refused_without_being_requested(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    outcomes = await h.stack.ingest.ingest(
        [site.url("/private/hidden"), site.url("/private/open"), site.url("/doc.pdf")], "scrape"
    )
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("refused", "robots_disallowed"),
        ("ingested", None),
        ("refused", "robots_disallowed"),
    ]
    assert site.hits["/private/hidden"] == 0
    assert site.hits["/doc.pdf"] == 0
    assert site.hits["/robots.txt"] == 1  # cached per origin


async def test_redirect_to_a_disallowed_page_is_refused_at_the_hop(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/redirect/robots")], "scrape")
    assert (outcome.outcome, outcome.reason) == ("refused", "robots_disallowed")
    assert site.hits["/private/hidden"] == 0


@pytest.mark.parametrize(
    ("path", "address"),
    [("/redirect/private", "10.0.0.1"), ("/redirect/metadata", "169.254.169.254")],
)
async def test_redirect_to_a_private_address_is_refused(
    make: Callable[..., Harness], site: Site, path: str, address: str
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url(path)], "scrape")
    assert (outcome.outcome, outcome.reason) == ("refused", "private_address")
    assert address in outcome.detail


async def test_only_the_exact_allowed_loopback_target_is_reachable(
    make: Callable[..., Harness], site: Site, internal: Site
) -> None:
    h = make()
    outcomes = await h.stack.ingest.ingest(
        [internal.url("/secret"), f"http://localhost:{internal.port}/static/aurora"], "scrape"
    )
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("refused", "private_address"),
        ("refused", "private_address"),
    ]
    assert sum(internal.hits.values()) == 0


async def test_redirect_loop_is_refused(make: Callable[..., Harness], site: Site) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/redirect/loop")], "scrape")
    assert (outcome.outcome, outcome.reason) == ("refused", "too_many_redirects")


async def test_redirect_to_an_allowed_page_keeps_the_final_url(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/redirect/ok")], "scrape")
    assert outcome.outcome == "ingested"
    assert outcome.final_url == site.url("/static/volcano")


async def test_hanging_page_fails_with_timeout(make: Callable[..., Harness], site: Site) -> None:
    from dataclasses import replace

    h = make(governance=replace(FAST, timeout_s=1.0))
    [outcome] = await h.stack.ingest.ingest([site.url("/hang")], "scrape")
    assert (outcome.outcome, outcome.reason) == ("failed", "timeout")


@pytest.mark.parametrize("path", ["/huge", "/huge-stream"])
async def test_page_over_the_size_cap_is_refused(
    make: Callable[..., Harness], site: Site, path: str
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url(path)], "scrape")
    assert (outcome.outcome, outcome.reason) == ("refused", "too_large")
    assert "131072-byte cap" in outcome.detail


async def test_exact_and_near_duplicates_are_named(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make(concurrency=1)  # one at a time, so which copy comes first is fixed
    outcomes = await h.stack.ingest.ingest(
        [site.url(p) for p in ("/dup/a", "/dup/b", "/near/a", "/near/b", "/static/volcano")],
        "scrape",
    )
    got = [(o.url.rsplit(":", 1)[1], o.outcome, o.reason) for o in outcomes]
    port = site.port
    assert got == [
        (f"{port}/dup/a", "ingested", None),
        (f"{port}/dup/b", "duplicate", "exact_duplicate"),
        (f"{port}/near/a", "ingested", None),
        (f"{port}/near/b", "duplicate", "near_duplicate"),
        (f"{port}/static/volcano", "ingested", None),
    ]
    assert site.url("/dup/a") in outcomes[1].detail
    assert "similarity" in outcomes[3].detail
    status = await h.stack.rag.status()
    assert status.documents == 3


async def test_refetch_of_unchanged_page_and_cache_ttl(
    make: Callable[..., Harness], site: Site, clock: FixedClock
) -> None:
    from dataclasses import replace

    h = make(governance=replace(FAST, cache_ttl_s=600))
    url = site.url("/static/glacier")
    assert (await h.stack.ingest.ingest([url], "scrape"))[0].outcome == "ingested"
    cached = (await h.stack.ingest.ingest([url], "scrape"))[0]
    assert (cached.outcome, cached.reason) == ("duplicate", "cached")
    assert site.hits["/static/glacier"] == 1
    clock.advance(timedelta(seconds=601))
    again = (await h.stack.ingest.ingest([url], "scrape"))[0]
    assert (again.outcome, again.reason) == ("duplicate", "unchanged")
    assert site.hits["/static/glacier"] == 2
    doc = await h.stack.corpus.by_url(url)
    assert doc is not None
    assert doc.fetched_at == clock.now()


async def test_governance_refusals_are_named_and_nothing_is_fetched(
    make: Callable[..., Harness], site: Site
) -> None:
    from dataclasses import replace

    h = make(governance=replace(FAST, tos_deny=(site.url("/static/volcano"),)))
    url = site.url("/static/volcano")
    assert (await h.stack.ingest.ingest([url], "scrape"))[0].reason == "tos_denied"
    h.set_governance(tos_deny=(), block_domains=("127.0.0.1",))
    assert (await h.stack.ingest.ingest([url], "scrape"))[0].reason == "domain_blocked"
    h.set_governance(block_domains=(), allow_domains=("example.org",))
    assert (await h.stack.ingest.ingest([url], "scrape"))[0].reason == "not_allowlisted"
    h.set_governance(allow_domains=(f"127.0.0.1:{site.port}",))
    assert (await h.stack.ingest.ingest([url], "scrape"))[0].outcome == "ingested"
    assert site.hits["/static/volcano"] == 1


async def test_scheme_and_url_refusals(make: Callable[..., Harness], site: Site) -> None:
    h = make()
    outcomes = await h.stack.ingest.ingest(
        ["file:///etc/passwd", "ftp://example.org/x", "http://user:pw@example.org/", "http://"],
        "scrape",
    )
    assert [o.reason for o in outcomes] == [
        "unsupported_scheme",
        "unsupported_scheme",
        "credentials_in_url",
        "invalid_url",
    ]
    assert {o.outcome for o in outcomes} == {"refused"}


async def test_http_error_and_missing_content_fail(
    make: Callable[..., Harness], site: Site
) -> None:
    h = make()
    outcomes = await h.stack.ingest.ingest([site.url("/missing"), site.url("/api/fact")], "scrape")
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("failed", "http_status"),
        ("failed", "not_html"),
    ]
    assert "404" in outcomes[0].detail


async def test_max_documents_caps_one_call(make: Callable[..., Harness], site: Site) -> None:
    from dataclasses import replace

    h = make(governance=replace(FAST, max_documents=2))
    outcomes = await h.stack.ingest.ingest(
        [site.url("/static/aurora"), site.url("/static/glacier"), site.url("/static/volcano")],
        "scrape",
    )
    assert sorted(o.reason or "ok" for o in outcomes) == ["max_documents", "ok", "ok"]
    assert sum(site.hits[p] for p in ("/static/aurora", "/static/glacier", "/static/volcano")) == 2


async def test_depth_follows_same_site_links_under_every_rule(
    make: Callable[..., Harness], site: Site
) -> None:
    from dataclasses import replace

    h = make(governance=replace(FAST, max_depth=1))
    outcomes = await h.stack.ingest.ingest([site.url("/links")], "scrape")
    got = {o.url.split(str(site.port), 1)[1]: (o.outcome, o.reason, o.depth) for o in outcomes}
    assert got == {
        "/links": ("ingested", None, 0),
        "/static/aurora": ("ingested", None, 1),
        "/private/hidden": ("refused", "robots_disallowed", 1),
        "/static/glacier": ("ingested", None, 1),  # fragment dropped; off-site link not followed
    }


@pytest.mark.parametrize(("rps", "interval"), [(1.0, 3.0), (0.25, 4.0)])
async def test_crawl_delay_and_policy_rate_pace_requests(
    make: Callable[..., Harness], site: Site, rps: float, interval: float
) -> None:
    from dataclasses import replace

    from symphony.ingest.ratelimit import DomainRateLimiter

    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    site.robots = "User-agent: *\nCrawl-delay: 3\n"
    limiter = DomainRateLimiter(monotonic=lambda: now[0], sleep=fake_sleep)
    h = make(governance=replace(FAST, rps=rps), limiter=limiter, concurrency=1)
    urls = [site.url(p) for p in ("/static/aurora", "/static/glacier", "/static/volcano")]
    outcomes = await h.stack.ingest.ingest(urls, "scrape")
    assert [o.outcome for o in outcomes] == ["ingested"] * 3
    assert slept == [interval, interval]  # the slower of Crawl-delay (3 s) and the policy
    assert h.stack.ingest.pacing_s(urls[0]) == interval
