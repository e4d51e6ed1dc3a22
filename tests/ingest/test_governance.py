"""WebGovernance.from_mapping: the `web:` policy section, with field-path errors."""

from __future__ import annotations

import pytest

from symphony.errors import PolicyError
from symphony.ingest.governance import WebGovernance
from symphony.ingest.reasons import Refused


def test_full_section_parses() -> None:
    gov = WebGovernance.from_mapping(
        {
            "allow_domains": ["docs.example.com", "Example.org."],
            "block_domains": ["ads.example.com"],
            "rps": 0.5,
            "domain_rps": {"docs.example.com": 2, "api.docs.example.com": 5},
            "max_documents": 50,
            "max_depth": 2,
            "timeout_s": 30,
            "cache_ttl_s": 7200,
            "keep_snapshots": True,
            "sign_snapshots": False,
            "screenshots": True,
            "tos_deny": ["linkedin.com", "https://example.org/members/"],
            "near_duplicate_similarity": 0.95,
            "respect_robots": True,
        }
    )
    assert gov.allow_domains == ("docs.example.com", "example.org")
    assert gov.rps_for("a.api.docs.example.com", 443) == 5.0  # most specific entry
    assert gov.rps_for("docs.example.com", 443) == 2.0
    assert gov.rps_for("other.net", 443) == 0.5
    assert (gov.max_depth, gov.timeout_s, gov.sign_snapshots) == (2, 30.0, False)


def test_every_problem_is_named_by_its_field_path() -> None:
    with pytest.raises(PolicyError) as caught:
        WebGovernance.from_mapping(
            {
                "allow_domains": ["ok.com", "http://bad/"],
                "rps": 0,
                "max_depth": 9,
                "timeout_s": "soon",
                "keep_snapshots": "yes",
                "domain_rps": {"x.com": -1},
                "tos_deny": ["ftp://x/"],
                "colour": "blue",
            }
        )
    assert caught.value.errors == [
        "web.allow_domains[1]: expected a domain name like example.com (or host:port), "
        "got 'http://bad/'",
        "web.rps: 0 is outside 0.001..100",
        "web.max_depth: 9 is outside 0..5",
        "web.timeout_s: expected a number, got 'soon'",
        "web.keep_snapshots: expected true or false, got 'yes'",
        "web.domain_rps.x.com: -1 is outside 0.001..100",
        "web.tos_deny[0]: expected an http(s) URL prefix, got 'ftp://x/'",
        "web.colour: unknown key (known: allow_domains, block_domains, cache_ttl_s, "
        "domain_rps, keep_snapshots, max_age, max_depth, max_documents, "
        "near_duplicate_similarity, respect_robots, rps, screenshots, sign_snapshots, "
        "sources, timeout_s, tos_deny)",
    ]


@pytest.mark.parametrize(
    ("gov", "url", "reason"),
    [
        (WebGovernance(tos_deny=("example.com",)), "https://www.example.com/a", "tos_denied"),
        (WebGovernance(tos_deny=("https://x.org/priv/",)), "https://x.org/priv/1", "tos_denied"),
        (WebGovernance(block_domains=("example.com",)), "https://a.example.com/", "domain_blocked"),
        (
            WebGovernance(allow_domains=("example.com",)),
            "https://notexample.com/",
            "not_allowlisted",
        ),
        (WebGovernance(allow_domains=("h:8080",)), "http://h:8081/", "not_allowlisted"),
    ],
)
def test_admit_refusals(gov: WebGovernance, url: str, reason: str) -> None:
    from symphony.ingest.addresses import parse_target

    _parts, host, port = parse_target(url)
    with pytest.raises(Refused) as caught:
        gov.admit(url, host, port)
    assert caught.value.reason.value == reason


def test_admit_allows_subdomains_of_an_allowed_domain() -> None:
    WebGovernance(allow_domains=("example.com",)).admit(
        "https://docs.example.com/", "docs.example.com", 443
    )
    WebGovernance(tos_deny=("https://x.org/priv/",)).admit("https://x.org/public", "x.org", 443)
