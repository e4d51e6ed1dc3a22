"""The GitHub Projects (v2) GraphQL client against the documented wire format: errors come
back as HTTP 200 with an `errors` array and become typed errors; 401 stays an HTTP error;
and the real client code path over a socket to the GitHub fake."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from symphony.clock import FixedClock
from symphony.incidents.roadmap_status import DEFAULT_MAP, Mark, Side, StatusMap, decide
from symphony.incidents.roadmap_sync import parse_time
from symphony.integrations.base import IntegrationError
from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.github.fake import FakeGitHub, FakeIssue
from symphony.integrations.github.projects import GitHubProjects, GraphQLError, graphql_url
from symphony.integrations.http import new_http_client

URL = "https://api.github.com/graphql"
CONFIG = GitHubConfig("ghp_real", "acme/tower")
PROJECT = {
    "data": {
        "repositoryOwner": {
            "projectV2": {
                "id": "PVT_kwDOA",
                "title": "Roadmap",
                "fields": {
                    "nodes": [
                        {},
                        {
                            "id": "PVTSSF_x",
                            "name": "Status",
                            "options": [{"id": "f75ad846", "name": "Todo"}],
                        },
                    ]
                },
            }
        }
    }
}
T = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
MAP = StatusMap.parse(DEFAULT_MAP)


@respx.mock
async def test_project_query_wire_format(clock: FixedClock) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=PROJECT))
    async with httpx.AsyncClient() as http:
        project = await GitHubProjects(CONFIG, http, clock).project("acme", 3)
    assert project.id == "PVT_kwDOA"
    assert project.status_field == "PVTSSF_x"
    assert project.options == {"Todo": "f75ad846"}
    sent = route.calls[0].request
    assert sent.headers["authorization"] == "Bearer ghp_real"
    body = json.loads(sent.content)
    assert body["variables"] == {"owner": "acme", "number": 3}
    assert "... on ProjectV2SingleSelectField" in body["query"]


@respx.mock
async def test_graphql_errors_on_http_200_are_typed(clock: FixedClock) -> None:
    errors = {
        "data": None,
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["addProjectV2ItemById"],
                "message": "Could not resolve to a node with the global id of 'I_x'",
            }
        ],
    }
    respx.post(URL).mock(return_value=httpx.Response(200, json=errors))
    async with httpx.AsyncClient() as http:
        with pytest.raises(GraphQLError) as caught:
            await GitHubProjects(CONFIG, http, clock).add_item("PVT_kwDOA", "I_x")
    assert caught.value.status == 200
    assert caught.value.operation == "add project item"
    assert caught.value.retryable is False
    assert "NOT_FOUND: Could not resolve" in str(caught.value)


@respx.mock
async def test_rate_limited_graphql_error_is_retryable(clock: FixedClock) -> None:
    body = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    respx.post(URL).mock(return_value=httpx.Response(200, json=body))
    async with httpx.AsyncClient() as http:
        with pytest.raises(GraphQLError) as caught:
            await GitHubProjects(CONFIG, http, clock).item_status("PVTI_1")
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 60.0


@respx.mock
async def test_401_is_an_http_error(clock: FixedClock) -> None:
    body = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"}
    respx.post(URL).mock(return_value=httpx.Response(401, json=body))
    async with httpx.AsyncClient() as http:
        with pytest.raises(IntegrationError) as caught:
            await GitHubProjects(CONFIG, http, clock).project("acme", 3)
    assert not isinstance(caught.value, GraphQLError)
    assert caught.value.status == 401
    assert caught.value.retryable is False
    assert "Bad credentials" in str(caught.value)


def test_enterprise_graphql_url() -> None:
    assert graphql_url("https://api.github.com") == URL
    assert graphql_url("https://ghe.acme.io/api/v3") == "https://ghe.acme.io/api/graphql"


async def test_projects_over_a_socket(clock: FixedClock) -> None:
    fake = FakeGitHub()
    server = await fake.serve()
    try:
        config = GitHubConfig(fake.token, fake.repo, server.base_url)
        async with new_http_client() as http:
            projects = GitHubProjects(config, http, clock)
            fake.issues[1] = FakeIssue(1, "epic", "", ["roadmap"])
            project = await projects.project("acme", 1)
            item = await projects.add_item(project.id, "I_fake1")
            assert await projects.add_item(project.id, "I_fake1") == item  # idempotent
            assert (await projects.item_status(item)).status is None
            await projects.set_status(project, item, "In Progress")
            status = await projects.item_status(item)
            with pytest.raises(GraphQLError, match="no option 'Blocked'"):
                await projects.set_status(project, item, "Blocked")
    finally:
        await server.close()
    assert status.status == "In Progress"
    assert fake.project.status_of("I_fake1") == "In Progress"
    assert fake.received[-1].path == "/graphql"


# --- the decision, pure ---------------------------------------------------------------
def side(status: str | None, category: str = "") -> Side:
    return Side(status, T, category)


def test_decide_first_sync_follows_jira() -> None:
    d = decide(None, side("In Progress"), side(None), MAP)
    assert (d.action, d.target) == ("set_github", "In Progress")
    assert decide(None, side("To Do"), side("Todo"), MAP).action == "none"


def test_decide_one_side_changed() -> None:
    mark = Mark("To Do", "Todo")
    d = decide(mark, side("Done"), side("Todo"), MAP)
    assert (d.action, d.target, d.conflict) == ("set_github", "Done", False)
    d = decide(mark, side("To Do"), side("In Progress"), MAP)
    assert (d.action, d.target) == ("set_jira", "In Progress")
    assert decide(mark, side("To Do"), side("Todo"), MAP).action == "none"


def test_decide_both_changed() -> None:
    mark = Mark("To Do", "Todo")
    d = decide(mark, side("Done"), side("In Progress"), MAP)
    assert (d.action, d.target, d.conflict) == ("set_github", "Done", True)
    assert decide(mark, side("Done"), side("Done"), MAP).action == "none"  # agree: no conflict


def test_decide_unmapped_statuses() -> None:
    mark = Mark("To Do", "Todo")
    d = decide(mark, side("Code Review", "indeterminate"), side("Todo"), MAP)
    assert (d.action, d.target) == ("set_github", "In Progress")  # by category
    assert decide(mark, side("To Do"), side("Blocked"), MAP).action == "none"


def test_parse_both_vendors_times() -> None:
    assert parse_time("2026-11-22T17:00:00.000+0000") == T
    assert parse_time("2026-11-22T17:00:00Z") == T
    assert parse_time(None) is None
