"""One test per vendor of the real client code path: httpx's own transport over a socket to
the vendor fake served by aiohttp on a free loopback port."""

from __future__ import annotations

import httpx
import pytest

from symphony.clock import FixedClock
from symphony.integrations.base import ChatMessage, IntegrationError, PageEvent, TicketDraft
from symphony.integrations.fake_http import Fault
from symphony.integrations.github.client import GitHubClient
from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.github.fake import FakeGitHub
from symphony.integrations.github.service import GitHubTicketing
from symphony.integrations.http import new_http_client
from symphony.integrations.jira.client import JiraClient
from symphony.integrations.jira.config import JiraConfig, JiraProject
from symphony.integrations.jira.fake import FakeJira
from symphony.integrations.jira.service import JiraTicketing
from symphony.integrations.pagerduty.client import PagerDutyClient
from symphony.integrations.pagerduty.config import PagerDutyConfig
from symphony.integrations.pagerduty.fake import FakePagerDuty
from symphony.integrations.pagerduty.service import PagerDutyPaging
from symphony.integrations.slack.client import SlackClient
from symphony.integrations.slack.config import SlackConfig
from symphony.integrations.slack.fake import FakeSlack
from symphony.integrations.slack.service import SlackChat

DRAFT = TicketDraft("Latency SLO burning", "p95 7.2 s", "inc_real", ("incident",))


async def test_github_over_a_socket(clock: FixedClock) -> None:
    fake = FakeGitHub()
    server = await fake.serve()
    try:
        config = GitHubConfig(fake.token, fake.repo, server.base_url)
        async with new_http_client() as http:
            github = GitHubTicketing(GitHubClient(config, http, clock))
            ref = await github.create(DRAFT)
            await github.close(ref, "Recovered.", "inc_real:close")
    finally:
        await server.close()
    assert fake.issues[1].state == "closed"
    assert fake.received[-1].headers["x-github-api-version"] == "2022-11-28"


async def test_jira_over_a_socket(clock: FixedClock) -> None:
    fake = FakeJira()
    server = await fake.serve()
    try:
        config = JiraConfig(server.base_url, "bot@example.com", "jira-token")
        async with new_http_client() as http:
            jira = JiraTicketing(JiraClient(config, http, clock), config, JiraProject("SYM"))
            ref = await jira.create(DRAFT)
            await jira.close(ref, None, "m")
    finally:
        await server.close()
    assert ref.url == f"{server.base_url}/browse/SYM-1"
    assert fake.issues["SYM-1"].status.category == "done"


async def test_slack_over_a_socket_and_a_real_timeout(clock: FixedClock) -> None:
    fake = FakeSlack()
    fake.hang_s = 2.0
    server = await fake.serve()
    try:
        config = SlackConfig(f"{server.base_url}{fake.path}")
        async with new_http_client(timeout_s=0.3) as http:
            slack = SlackChat(SlackClient(config, http, clock))
            await slack.post(ChatMessage("hello"))
            fake.fail_next(Fault(timeout=True))
            with pytest.raises(IntegrationError) as err:
                await slack.post(ChatMessage("again"))
    finally:
        await server.close()
    assert err.value.retryable
    assert err.value.ambiguous
    assert [m["text"] for m in fake.messages] == [":memo: hello"]


async def test_pagerduty_over_a_socket(clock: FixedClock) -> None:
    fake = FakePagerDuty()
    server = await fake.serve()
    try:
        config = PagerDutyConfig(fake.routing_keys[0], f"{server.base_url}/v2/enqueue")
        async with httpx.AsyncClient(timeout=5) as http:
            paging = PagerDutyPaging(PagerDutyClient(config, http, clock))
            key = await paging.trigger(PageEvent("dk-1", "burning", "critical"))
            await paging.resolve(key)
    finally:
        await server.close()
    assert fake.alerts == {(fake.routing_keys[0], "dk-1"): "resolved"}
