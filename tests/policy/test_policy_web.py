"""The policy's `web:` section: sources, freshness, rules; every problem with file and line."""

from __future__ import annotations

import pytest

from symphony.errors import PolicyError
from symphony.policy.loader import load_policy

BASE = """
policy:
  models:
    - name: local/m
      class: local
"""


def test_web_section_parses_sources_and_freshness() -> None:
    snap = load_policy(
        BASE
        + """
web:
  allow_domains: [docs.example.com, "127.0.0.1:8080"]
  max_age: 2d
  rps: 2
  sources:
    - name: docs
      urls: [https://docs.example.com/guide/, "http://127.0.0.1:8080/a"]
      strategy: scrape
      refresh: 6h
      max_age: 12h
    - name: other
      urls: [https://docs.example.com/other]
"""
    )
    web = snap.web
    assert web.max_age_s == 2 * 86_400
    assert web.rps == 2.0
    docs = web.source("docs")
    assert docs is not None
    assert docs.strategy == "scrape"
    assert (docs.refresh_s, docs.max_age_s) == (6 * 3600, 12 * 3600)
    assert docs.covers("https://docs.example.com/guide/limits")
    assert docs.covers("http://127.0.0.1:8080/a")
    assert not docs.covers("https://docs.example.com/blog/")
    assert not docs.covers("http://127.0.0.1:8081/a")
    other = web.source("other")
    assert other is not None
    assert (other.strategy, other.refresh_s) == ("visit", None)
    assert web.max_age_for(docs) == 12 * 3600
    assert web.max_age_for(other) == 2 * 86_400


def test_web_under_policy_is_accepted_and_absent_means_defaults() -> None:
    nested = load_policy(BASE + "  web:\n    max_depth: 1\n")
    assert nested.web.max_depth == 1
    assert load_policy(BASE).web.sources == ()


def test_every_web_problem_names_file_line_and_field() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(
            BASE
            + """
web:
  allow_domains: [docs.example.com]
  respect_robots: false
  max_age: soon
  sources:
    - name: docs
      urls: [https://docs.example.com/a, https://evil.com/x]
      refresh: 30s
    - {name: "Bad Name", urls: [], strategy: fly, colour: red}
    - name: docs
      urls: [https://docs.example.com/b]
"""
        )
    assert caught.value.errors == [
        "router.policy.yml:9: web.respect_robots: robots.txt is always respected; remove the key",
        "router.policy.yml:10: web.max_age: invalid duration 'soon' "
        "(use e.g. 3h, 90m, 60s, 1h30m or HH:MM)",
        "router.policy.yml:13: web.sources[0].urls[1]: evil.com is not in the allowlist "
        "(docs.example.com): the source could never be fetched",
        "router.policy.yml:14: web.sources[0].refresh: 30s is below the minimum of 60s",
        "router.policy.yml:15: web.sources[1].colour: unknown key "
        "(known: name, urls, strategy, refresh, max_age)",
        "router.policy.yml:15: web.sources[1].name: expected a name like docs-example "
        "(a-z 0-9 _ . -), got 'Bad Name'",
        "router.policy.yml:15: web.sources[1].urls: expected a non-empty list of http(s) URLs",
        "router.policy.yml:15: web.sources[1].strategy: expected visit or scrape, got 'fly'",
    ]


def test_duplicate_source_names_and_both_placements_are_refused() -> None:
    with pytest.raises(PolicyError) as dup:
        load_policy(
            BASE
            + """web:
  sources:
    - {name: a, urls: ["https://x.org/"]}
    - {name: a, urls: ["https://y.org/"]}
"""
        )
    assert dup.value.errors == [
        "router.policy.yml:9: web.sources[1].name: duplicate source name 'a'"
    ]
    with pytest.raises(PolicyError) as both:
        load_policy(BASE + "  web: {}\nweb: {}\n")
    assert both.value.errors == [
        "router.policy.yml:6: policy.web: web is also defined at the top level: keep one"
    ]
