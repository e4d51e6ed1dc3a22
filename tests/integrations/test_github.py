"""GitHub issues: the documented wire format (respx) and behaviour against the fake."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from symphony.clock import FixedClock
from symphony.integrations.base import IntegrationError, TicketDraft, TicketRef
from symphony.integrations.fake_http import Fault
from symphony.integrations.fakes import FakeStack
from symphony.integrations.github.client import GitHubClient
from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.github.service import GitHubTicketing
from symphony.integrations.registry import Integrations

DRAFT = TicketDraft(
    title="[SLO] execute-latency burning (page)",
    body="# What\n\nThe p95 is 7.2 s.",
    marker="inc_abc",
    labels=("incident", "slo", "auto"),
    fields={"severity": "p1", "component": "router"},
)


@respx.mock
async def test_create_issue_wire_format(clock: FixedClock) -> None:
    config = GitHubConfig(token="ghp_x", repo="acme/tower", api_url="https://ghe.corp/api/v3")
    listed = respx.get("https://ghe.corp/api/v3/repos/acme/tower/issues").mock(
        return_value=httpx.Response(200, json=[])
    )
    created = respx.post("https://ghe.corp/api/v3/repos/acme/tower/issues").mock(
        return_value=httpx.Response(
            201, json={"number": 7, "html_url": "https://ghe.corp/acme/tower/issues/7"}
        )
    )
    async with httpx.AsyncClient() as http:
        ref = await GitHubTicketing(GitHubClient(config, http, clock)).create(DRAFT)
    assert ref == TicketRef("github", "7", "https://ghe.corp/acme/tower/issues/7")
    assert listed.calls.last.request.url.params["state"] == "all"
    request = created.calls.last.request
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["authorization"] == "Bearer ghp_x"
    body = json.loads(request.content)
    assert body["title"] == DRAFT.title
    assert body["labels"] == ["incident", "slo", "auto", "severity:p1", "component:router"]
    assert body["body"].startswith("# What\n\nThe p95 is 7.2 s.")
    assert body["body"].rstrip().endswith("<!-- symphony:inc_abc -->")


async def test_lifecycle_against_the_fake(integrations: Integrations, stack: FakeStack) -> None:
    github = integrations.tickets["github"]
    ref = await github.create(DRAFT)
    issue = stack.github.issues[int(ref.id)]
    assert issue.state == "open"
    assert ref.url == f"https://github.com/acme/tower/issues/{ref.id}"
    # Creating again with the same marker finds the issue instead of filing a second one.
    assert await github.create(DRAFT) == ref
    assert len(stack.github.issues) == 1
    await github.link(ref, TicketRef("jira", "SYM-1", "http://jira.fake/browse/SYM-1"), "Jira")
    await github.link(ref, TicketRef("jira", "SYM-1", "http://jira.fake/browse/SYM-1"), "Jira")
    assert issue.body.count("http://jira.fake/browse/SYM-1") == 1
    await github.close(ref, "Recovered: burn rates back under 1x.", "inc_abc:close:1")
    await github.close(ref, "Recovered: burn rates back under 1x.", "inc_abc:close:1")
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert len(issue.comments) == 1  # the retried close did not comment twice
    assert issue.comments[0]["body"].startswith("Recovered")
    await github.reopen(ref, "Burning again.", "inc_abc:reopen:1")
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    assert len(issue.comments) == 2


async def test_a_create_whose_answer_was_lost_is_found_not_doubled(
    integrations: Integrations, stack: FakeStack
) -> None:
    github = integrations.tickets["github"]
    stack.github.fail_next(Fault(timeout=True, after_apply=True, method="POST"))
    with pytest.raises(IntegrationError) as err:
        await github.create(DRAFT)
    assert err.value.ambiguous
    assert len(stack.github.issues) == 1  # GitHub did create it
    ref = await github.create(DRAFT)  # the retry
    assert ref.id == "1"
    assert len(stack.github.issues) == 1


async def test_errors_carry_githubs_message(integrations: Integrations, stack: FakeStack) -> None:
    github = integrations.tickets["github"]
    stack.github.issues_enabled = False
    with pytest.raises(IntegrationError) as err:
        await github.create(DRAFT)
    assert (err.value.status, err.value.retryable) == (410, False)
    assert "Issues are disabled for this repo" in str(err.value)
    stack.github.issues_enabled = True
    stack.github.fail_next(
        Fault(status=500, body={"message": "Server Error"}),
    )
    with pytest.raises(IntegrationError) as err:
        await github.create(DRAFT)
    assert (err.value.status, err.value.retryable) == (500, True)
    stack.github.token = "rotated"
    with pytest.raises(IntegrationError) as err:
        await github.create(DRAFT)
    assert (err.value.status, err.value.message) == (401, "Bad credentials")


async def test_the_fake_validates_like_github(integrations: Integrations, stack: FakeStack) -> None:
    github = integrations.tickets["github"]
    with pytest.raises(IntegrationError) as err:
        await github.create(TicketDraft(title="", body="x", marker="m"))
    assert err.value.status == 422
    assert "Validation Failed" in err.value.message
    assert "missing_field" in err.value.message
