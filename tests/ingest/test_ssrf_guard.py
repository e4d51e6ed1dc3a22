"""The SSRF guard: which addresses are refused, the exact-target opening, DNS pinning."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

import pytest
from ingest_site import Harness, Site

from symphony.ingest.addresses import SsrfGuard, SystemResolver, classify
from symphony.ingest.config import WebSettings, announce, load_settings
from symphony.ingest.http import HttpFetcher
from symphony.ingest.reasons import FetchFailed, Refused


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
    ],
)
def test_classify(address: str, category: str | None) -> None:
    assert classify(ipaddress.ip_address(address)) == category


class ScriptedResolver:
    """A DNS stand-in answering from a table (the OS resolver is what it replaces)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


async def test_a_name_with_any_private_address_is_refused() -> None:
    guard = SsrfGuard(
        ScriptedResolver({"mixed.test": [["93.184.216.34", "10.1.2.3"]]}),
        allow_private=False,
        allow_private_targets=(),
    )
    with pytest.raises(Refused) as caught:
        await guard.check("http://mixed.test/")
    assert caught.value.reason.value == "private_address"
    assert "mixed.test resolves to 10.1.2.3, which is a private address" in caught.value.message


async def test_allow_private_opens_private_ranges_but_never_metadata() -> None:
    guard = SsrfGuard(SystemResolver(), allow_private=True, allow_private_targets=())
    assert (await guard.check("http://10.0.0.1/")).addresses == ("10.0.0.1",)
    assert (await guard.check("http://127.0.0.1:1/")).port == 1
    for url in ("http://169.254.169.254/latest/", "http://[fd00:ec2::254]/", "http://224.0.0.1/"):
        with pytest.raises(Refused):
            await guard.check(url)


async def test_exact_targets_open_one_address_and_port_only() -> None:
    guard = SsrfGuard(
        SystemResolver(), allow_private=False, allow_private_targets=("127.0.0.1:8080",)
    )
    await guard.check("http://127.0.0.1:8080/x")
    for url in ("http://127.0.0.1:8081/", "http://127.0.0.2:8080/", "http://10.0.0.1:8080/"):
        with pytest.raises(Refused):
            await guard.check(url)


async def test_numeric_host_spellings_are_resolved_before_the_check() -> None:
    guard = SsrfGuard(SystemResolver(), allow_private=False, allow_private_targets=())
    for url in ("http://2130706433/", "http://0x7f.1/", "http://localhost./"):
        with pytest.raises(Refused) as caught:
            await guard.check(url)
        assert caught.value.reason.value == "private_address"


async def test_unresolvable_host_fails_with_dns_failed() -> None:
    guard = SsrfGuard(SystemResolver(), allow_private=False, allow_private_targets=())
    with pytest.raises(FetchFailed) as caught:
        await guard.check("http://no-such-host.invalid/")
    assert caught.value.reason.value == "dns_failed"


async def test_connection_uses_the_checked_address_not_a_second_lookup(site: Site) -> None:
    """DNS rebinding: the name answers loopback for the check and a private address after.

    The fetch still reaches the test site: the connection used the checked address."""
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.9.9.9"]]})
    guard = SsrfGuard(
        resolver, allow_private=False, allow_private_targets=(f"127.0.0.1:{site.port}",)
    )
    fetcher = HttpFetcher(guard, user_agent="t/1", max_bytes=1 << 20, max_redirects=0)
    response = await fetcher.fetch(f"http://rebind.test:{site.port}/static/aurora", timeout_s=5)
    assert response.status == 200
    assert b"Aurora basics" in response.body
    assert resolver.calls == ["rebind.test"]  # resolved once, by the guard
    assert site.hits["/static/aurora"] == 1


def test_allow_private_is_logged_loudly(caplog: pytest.LogCaptureFixture) -> None:
    web, _rag = load_settings({"SYMPHONY_WEB_ALLOW_PRIVATE": "1"})
    assert web.allow_private is True
    with caplog.at_level(logging.WARNING, logger="symphony.ingest.config"):
        announce(web)
        announce(WebSettings())
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "SSRF guard relaxed" in caplog.records[0].message


def test_settings_from_env_name_the_bad_variable() -> None:
    web, rag = load_settings(
        {
            "SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS": "127.0.0.1:8080, [::1]:9000",
            "SYMPHONY_WEB_MAX_BYTES": "2048",
            "SYMPHONY_RAG_CHUNK_TOKENS": "120",
        }
    )
    assert web.allow_private_targets == ("127.0.0.1:8080", "[::1]:9000")
    assert (web.max_bytes, rag.chunk_tokens) == (2048, 120)
    assert WebSettings().allow_private is False
    with pytest.raises(ValueError, match="SYMPHONY_WEB_ALLOW_PRIVATE: expected a valid boolean"):
        load_settings({"SYMPHONY_WEB_ALLOW_PRIVATE": "maybe"})
    with pytest.raises(ValueError, match="SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS"):
        load_settings({"SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS": "localhost"})
    with pytest.raises(ValueError, match="SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS"):
        load_settings({"SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS": "500"})


async def test_private_page_is_refused_through_the_service(
    make: Callable[..., Harness],
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest(["http://169.254.169.254/latest/meta-data/"], "scrape")
    assert (outcome.outcome, outcome.reason) == ("refused", "private_address")
    assert "cloud metadata" in outcome.detail
