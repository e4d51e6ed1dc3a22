"""RFC 9309 behaviour: matching rules (Protego) and what an unreadable robots.txt means."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from ingest_site import Harness, Site
from protego import Protego

from symphony.clock import FixedClock
from symphony.ingest.robots import RobotsRules

AGENT = "SymphonyTest"
LATER = datetime(2100, 1, 1, tzinfo=UTC)


def allowed(robots: str, path: str, agent: str = AGENT) -> bool:
    rules = RobotsRules("http://h", "parsed", "", LATER, Protego.parse(robots))
    return rules.allows("http://h" + path, agent)


@pytest.mark.parametrize(
    ("robots", "path", "expected"),
    [
        # §2.2.2: the most specific (longest) match wins, whatever the order
        ("User-agent: *\nAllow: /a/b\nDisallow: /a\n", "/a/b/c", True),
        ("User-agent: *\nDisallow: /a\nAllow: /a/b\n", "/a/b/c", True),
        ("User-agent: *\nDisallow: /a\nAllow: /a/b\n", "/a/c", False),
        ("User-agent: *\nAllow: /a\nDisallow: /a/b\n", "/a/b", False),
        # equal length: Allow wins the tie
        ("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page", True),
        # `*` matches any sequence of characters
        ("User-agent: *\nDisallow: /*/secret\n", "/x/y/secret/z", False),
        ("User-agent: *\nDisallow: /*.gif\n", "/img/a.gif?size=2", False),
        # `$` anchors the end of the path
        ("User-agent: *\nDisallow: /*.gif$\n", "/img/a.gif", False),
        ("User-agent: *\nDisallow: /*.gif$\n", "/img/a.gif?size=2", True),
        ("User-agent: *\nDisallow: /exact$\n", "/exact/more", True),
        ("User-agent: *\nDisallow: /exact$\n", "/exact", False),
        # the most specific group for our product token applies, not `*`
        ("User-agent: *\nDisallow: /\n\nUser-agent: symphonytest\nAllow: /\n", "/x", True),
        ("User-agent: *\nAllow: /\n\nUser-agent: SymphonyTest\nDisallow: /x\n", "/x", False),
        # an empty Disallow allows everything; /robots.txt is always allowed
        ("User-agent: *\nDisallow:\n", "/anything", True),
        ("User-agent: *\nDisallow: /\n", "/robots.txt", True),
        # two groups for the same agent are merged
        ("User-agent: a\nDisallow: /q\n\nUser-agent: *\nDisallow: /p\n\nUser-agent: *\n"
         "Disallow: /r\n", "/r", False),
    ],
)  # fmt: skip
def test_matching_rules(robots: str, path: str, expected: bool) -> None:
    assert allowed(robots, path) is expected


def test_crawl_delay_and_request_rate_are_read() -> None:
    rules = RobotsRules(
        "http://h",
        "parsed",
        "",
        LATER,
        Protego.parse("User-agent: *\nCrawl-delay: 2\nRequest-rate: 1/5\n"),
    )
    assert rules.delay_s(AGENT) == 5.0  # 1 request per 5 s is slower than crawl-delay 2


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [
        (404, "ingested", None),  # §2.3.1.3 unavailable: crawl freely
        (403, "ingested", None),
        (500, "refused", "robots_disallowed"),  # §2.3.1.4 unreachable: crawl nothing
        (503, "refused", "robots_disallowed"),
    ],
)
async def test_unreadable_robots_txt_follows_the_rfc(
    make: Callable[..., Harness], site: Site, status: int, outcome: str, reason: str | None
) -> None:
    site.robots_status = status
    h = make()
    [got] = await h.stack.ingest.ingest([site.url("/static/aurora")], "scrape")
    assert (got.outcome, got.reason) == (outcome, reason)
    if reason:
        assert f"HTTP {status}" in got.detail


async def test_unreachable_robots_txt_disallows(make: Callable[..., Harness]) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    h = make(allow_private_targets=(f"127.0.0.1:{port}",))
    [got] = await h.stack.ingest.ingest([f"http://127.0.0.1:{port}/page"], "scrape")
    assert (got.outcome, got.reason) == ("refused", "robots_disallowed")
    assert "unreachable" in got.detail


async def test_robots_txt_is_cached_for_its_ttl(
    make: Callable[..., Harness], site: Site, clock: FixedClock
) -> None:
    h = make(robots_ttl_s=300)
    await h.stack.ingest.ingest([site.url("/static/aurora")], "scrape")
    site.robots = "User-agent: *\nDisallow: /static\n"
    [cached] = await h.stack.ingest.ingest([site.url("/static/glacier")], "scrape")
    assert cached.outcome == "ingested"
    assert site.hits["/robots.txt"] == 1
    clock.advance(timedelta(seconds=301))
    [fresh] = await h.stack.ingest.ingest([site.url("/static/volcano")], "scrape")
    assert (fresh.outcome, fresh.reason) == ("refused", "robots_disallowed")
    assert site.hits["/robots.txt"] == 2
    assert site.hits["/static/volcano"] == 0


async def test_robots_respect_cannot_be_switched_off_by_policy() -> None:
    from symphony.errors import PolicyError
    from symphony.ingest.governance import WebGovernance

    with pytest.raises(PolicyError, match=r"web\.respect_robots: robots.txt is always respected"):
        WebGovernance.from_mapping({"respect_robots": False})
