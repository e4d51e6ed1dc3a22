"""Jira Cloud v3: ADF descriptions, parity field mappings, transitions looked up by name,
remote links upserted by globalId; wire format with respx, behaviour against the fake."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

from symphony.clock import FixedClock
from symphony.integrations.base import IntegrationError, TicketDraft, TicketRef
from symphony.integrations.fake_http import Fault
from symphony.integrations.fakes import FakeStack
from symphony.integrations.jira.adf import adf_text, is_adf, to_adf
from symphony.integrations.jira.client import JiraClient
from symphony.integrations.jira.config import JiraConfig, JiraProject
from symphony.integrations.jira.fake import ADF_ERROR, FakeJira
from symphony.integrations.jira.service import JiraTicketing, map_fields

DRAFT = TicketDraft(
    title="[SLO] execute-latency burning (page)",
    body="# Burn rates\n\n- 1h: 16.0x\n- 5m: 20.0x\n\nSee [the runbook](https://x.test/rb).",
    marker="inc_abc",
    labels=("incident", "slo", "auto"),
    fields={"severity": "p1", "component": "router"},
)
SEED_MAPPINGS = (
    ("labels", "labels"),
    ("summary", "title"),
    ("description", "body"),
    ("severity", "severity"),
    ("component", "component"),
)
GITHUB_REF = TicketRef("github", "7", "https://github.com/acme/tower/issues/7")


def test_adf_from_text() -> None:
    doc = to_adf(DRAFT.body + "\n\n```\ncode line\n```\nlast **bold** line")
    assert is_adf(doc)
    types = [node["type"] for node in doc["content"]]
    assert types == ["heading", "bulletList", "paragraph", "codeBlock", "paragraph"]
    link = doc["content"][2]["content"][1]
    assert link == {
        "type": "text",
        "text": "the runbook",
        "marks": [{"type": "link", "attrs": {"href": "https://x.test/rb"}}],
    }
    assert doc["content"][3]["content"][0]["text"] == "code line"
    assert {"type": "text", "text": "bold", "marks": [{"type": "strong"}]} in doc["content"][4][
        "content"
    ]
    assert "16.0x" in adf_text(doc)
    assert not is_adf("plain text")
    assert len(adf_text(to_adf("x" * 40_000))) < 32_767


def test_seed_mappings_put_non_jira_fields_into_labels() -> None:
    fields = map_fields(JiraProject("SYM", mappings=SEED_MAPPINGS), DRAFT)
    assert fields["project"] == {"key": "SYM"}
    assert fields["issuetype"] == {"name": "Incident"}
    assert fields["summary"] == DRAFT.title
    assert is_adf(fields["description"])
    assert fields["components"] == [{"name": "router"}]
    assert fields["labels"] == ["incident", "slo", "auto", "severity-p1", "symphony-inc_abc"]
    custom = JiraProject(
        "SYM",
        issue_type="Bug",
        mappings=(("customfield_10042", "severity"), ("priority", "severity")),
    )
    mapped = map_fields(custom, TicketDraft("t", "b", "m", fields={"severity": "p2"}))
    assert mapped["customfield_10042"] == {"value": "p2"}
    assert mapped["priority"] == {"name": "p2"}
    epic = map_fields(JiraProject("SYM"), TicketDraft("t", "b", "m", kind="epic"))
    assert epic["issuetype"] == {"name": "Epic"}


@respx.mock
async def test_create_wire_format(clock: FixedClock) -> None:
    config = JiraConfig("https://acme.atlassian.net", "bot@acme.test", "tok")
    search = respx.post("https://acme.atlassian.net/rest/api/3/search/jql").mock(
        return_value=httpx.Response(200, json={"issues": [], "isLast": True})
    )
    create = respx.post("https://acme.atlassian.net/rest/api/3/issue").mock(
        return_value=httpx.Response(201, json={"id": "10001", "key": "SYM-9", "self": "x"})
    )
    async with httpx.AsyncClient() as http:
        jira = JiraTicketing(JiraClient(config, http, clock), config, JiraProject("SYM"))
        ref = await jira.create(DRAFT)
    assert ref == TicketRef("jira", "SYM-9", "https://acme.atlassian.net/browse/SYM-9")
    expected_auth = "Basic " + base64.b64encode(b"bot@acme.test:tok").decode()
    assert create.calls.last.request.headers["authorization"] == expected_auth
    assert json.loads(search.calls.last.request.content)["jql"] == (
        'project = "SYM" AND labels = "symphony-inc_abc"'
    )
    fields = json.loads(create.calls.last.request.content)["fields"]
    assert fields["description"]["type"] == "doc"
    assert fields["description"]["version"] == 1


async def test_a_plain_string_description_is_refused_like_jira_does(
    stack: FakeStack, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "http://jira.fake/rest/api/3/issue",
        auth=("bot@example.com", "jira-token"),
        json={
            "fields": {
                "project": {"key": "SYM"},
                "issuetype": {"name": "Incident"},
                "summary": "s",
                "description": "plain",
                "severity": "p1",
            }
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"]["description"] == ADF_ERROR
    assert "cannot be set" in response.json()["errors"]["severity"]


async def test_lifecycle_against_the_fake(
    stack: FakeStack, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    config = JiraConfig.from_env(stack.environ())
    jira = JiraTicketing(
        JiraClient(config, http, clock), config, JiraProject("SYM", mappings=SEED_MAPPINGS)
    )
    ref = await jira.create(DRAFT)
    assert ref.url == "http://jira.fake/browse/SYM-1"
    assert await jira.create(DRAFT) == ref  # found by its marker label
    issue = stack.jira.issues["SYM-1"]
    await jira.link(ref, GITHUB_REF, "GitHub issue")
    await jira.link(ref, GITHUB_REF, "GitHub issue")  # upserted by globalId, not doubled
    [(global_id, link)] = issue.remote_links.items()
    assert global_id == "symphony:github:https://github.com/acme/tower/issues/7"
    assert link["object"] == {"url": GITHUB_REF.url, "title": "GitHub issue 7"}
    assert link["application"] == {"type": "com.github", "name": "GitHub"}
    await jira.comment(ref, "Escalated to page.", "inc_abc:note:1")
    await jira.comment(ref, "Escalated to page.", "inc_abc:note:1")
    assert len(issue.comments) == 1
    await jira.close(ref, "Recovered.", "inc_abc:close:1")
    assert issue.status.name == "Done"
    assert issue.history == ["Done"]
    assert adf_text(issue.comments[-1]["body"]) == "Recovered."
    await jira.close(ref, "Recovered.", "inc_abc:close:1")  # already done: nothing
    assert issue.history == ["Done"]
    await jira.reopen(ref, None, "inc_abc:reopen:1")
    assert (issue.status.name, issue.history) == ("To Do", ["Done", "To Do"])


async def test_transition_is_looked_up_by_name_not_id(
    http: httpx.AsyncClient, clock: FixedClock
) -> None:
    fake = FakeJira(
        transitions=(
            ("101", "Triage", "Open", "new"),
            ("707", "Resolve", "Resolved", "done"),
        )
    )
    config = JiraConfig("http://jira.local", "bot@example.com", "jira-token")
    async with httpx.AsyncClient(transport=fake.transport()) as client:
        plain = JiraTicketing(JiraClient(config, client, clock), config, JiraProject("SYM"))
        ref = await plain.create(DRAFT)
        with pytest.raises(IntegrationError) as err:
            await plain.close(ref, None, "m")
        assert not err.value.retryable
        assert "no transition named 'Done'" in str(err.value)
        assert "'Triage', 'Resolve'" not in str(err.value)  # Triage leads to the current status
        assert "'Resolve'" in str(err.value)
        custom = JiraProject("SYM", close_transition="resolve")
        named = JiraTicketing(JiraClient(config, client, clock), config, custom)
        await named.close(ref, None, "m")
    assert fake.issues["SYM-1"].status.name == "Resolved"
    posted = [r for r in fake.received if r.method == "POST" and r.path.endswith("/transitions")]
    assert posted[-1].json() == {"transition": {"id": "707"}}


async def test_failures(stack: FakeStack, http: httpx.AsyncClient, clock: FixedClock) -> None:
    config = JiraConfig.from_env(stack.environ())
    jira = JiraTicketing(JiraClient(config, http, clock), config, JiraProject("NOPE"))
    with pytest.raises(IntegrationError) as err:
        await jira.create(DRAFT)
    assert (err.value.status, err.value.retryable) == (400, False)
    assert "project: valid project is required" in str(err.value)
    jira = JiraTicketing(JiraClient(config, http, clock), config, JiraProject("SYM"))
    stack.jira.fail_next(Fault(status=429, body="", headers={"retry-after": "5"}))
    with pytest.raises(IntegrationError) as err:
        await jira.create(DRAFT)
    assert (err.value.status, err.value.retryable, err.value.retry_after_s) == (429, True, 5.0)
    stack.jira.fail_next(Fault(timeout=True, after_apply=True, path_contains="/issue"))
    with pytest.raises(IntegrationError) as err:
        await jira.create(DRAFT)
    assert err.value.ambiguous
    assert (await jira.create(DRAFT)).id == "SYM-1"  # the lost create is found
    assert list(stack.jira.issues) == ["SYM-1"]


async def test_jira_to_jira_links_are_issue_links_made_once(
    stack: FakeStack, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    config = JiraConfig.from_env(stack.environ())
    jira = JiraTicketing(JiraClient(config, http, clock), config, JiraProject("SYM"))
    epic = await jira.create(TicketDraft("Roadmap", "b", "rmp_1", kind="epic"))
    incident = await jira.create(TicketDraft("Incident", "b", "inc_1"))
    await jira.link(epic, incident, "Incident")
    await jira.link(epic, incident, "Incident")
    assert stack.jira.issues[epic.id].links == [("Relates", incident.id, True)]
    assert stack.jira.issues[incident.id].links == [("Relates", epic.id, False)]
    link_posts = [r for r in stack.jira.received if r.path.endswith("/issueLink")]
    assert link_posts[0].json() == {
        "type": {"name": "Relates"},
        "outwardIssue": {"key": epic.id},
        "inwardIssue": {"key": incident.id},
    }
    assert len(link_posts) == 1
