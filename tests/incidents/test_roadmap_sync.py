"""Roadmap items stay in sync: the Jira epic's status and the GitHub Project item's Status
field, mirrored both ways against the vendor fakes' wire formats (GraphQL for the project,
REST v3 transitions for Jira)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incident_harness import Harness

from symphony.incidents.model import Incident
from symphony.incidents.roadmap_status import DEFAULT_MAP, StatusMap
from symphony.incidents.roadmap_sync import ARTIFACT, RoadmapSync
from symphony.integrations.fake_http import Fault
from symphony.integrations.github.client import GitHubClient
from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.github.projects import GitHubProjects
from symphony.integrations.jira.client import JiraClient
from symphony.integrations.jira.config import JiraConfig


def make_sync(h: Harness, project: str = "acme/1") -> RoadmapSync:
    github = GitHubConfig.from_env(h.environ)
    jira = JiraConfig.from_env(h.environ)
    return RoadmapSync(
        h.incidents,
        GitHubProjects(github, h.http, h.clock),
        GitHubClient(github, h.http, h.clock),
        JiraClient(jira, h.http, h.clock),
        project,
        StatusMap.parse(DEFAULT_MAP),
    )


async def roadmap_item(h: Harness) -> Incident:
    item = await h.incidents.open_roadmap(
        key="roadmap:2026-11-22",
        title="[Roadmap] SLO debt: x",
        body="debt",
        related=[],
        artifacts={},
    )
    assert item is not None
    await h.drain()
    assert set(item.tickets) == {"github", "jira"}
    return item


def epic(h: Harness, item: Incident) -> str:
    return h.stack.jira.issues[item.tickets["jira"]["id"]].status.name


def node(item: Incident) -> str:
    return f"I_fake{item.tickets['github']['id']}"


def mutations(h: Harness) -> int:
    return sum(b"mutation" in r.body for r in h.stack.github.requests("POST", "/graphql"))


def jira_to(h: Harness, item: Incident, status: str) -> None:
    """A person moves the epic in Jira."""
    issue = h.stack.jira.issues[item.tickets["jira"]["id"]]
    tid = next(t[0] for t in h.stack.jira.workflow if t[2] == status)
    issue.status = next(
        type(issue.status)(t[2], t[3]) for t in h.stack.jira.workflow if t[0] == tid
    )


async def test_first_sync_adds_the_issue_to_the_project_and_repeats_write_nothing(
    harness: Harness,
) -> None:
    h = harness
    item = await roadmap_item(h)
    sync = make_sync(h)
    report = await sync.run()
    assert report.synced == [item.id]
    assert not report.failed
    project = h.stack.github.project
    assert project.status_of(node(item)) == "Todo"  # Jira's "To Do", mapped
    state = item.artifacts[ARTIFACT]
    assert (state["jira"], state["github"], state["item"]) == ("To Do", "Todo", "PVTI_fake1")
    writes = mutations(h)
    assert writes == 2  # addProjectV2ItemById + updateProjectV2ItemFieldValue
    assert (await sync.run()).synced == []
    assert mutations(h) == writes  # idempotent: reads only
    # The pair and the last synced statuses survive a restart.
    await h.restart()
    again = h.incidents.get(item.id)
    assert again.artifacts[ARTIFACT]["github"] == "Todo"
    assert (await make_sync(h).run()).synced == []
    assert mutations(h) == writes


async def test_jira_change_moves_the_github_item(harness: Harness) -> None:
    h = harness
    item = await roadmap_item(h)
    sync = make_sync(h)
    await sync.run()
    jira_to(h, item, "In Progress")
    report = await sync.run()
    assert report.synced == [item.id]
    assert report.conflicts == []
    assert h.stack.github.project.status_of(node(item)) == "In Progress"
    assert item.timeline[-1]["kind"] == "roadmap.synced"
    assert "GitHub set to 'In Progress'" in item.timeline[-1]["text"]


async def test_github_change_transitions_the_jira_epic(harness: Harness) -> None:
    h = harness
    item = await roadmap_item(h)
    sync = make_sync(h)
    await sync.run()
    h.clock.advance(timedelta(minutes=5))
    h.stack.github.project.set_status_of(node(item), "Done")
    report = await sync.run()
    assert report.synced == [item.id]
    assert epic(h, item) == "Done"
    jira_issue = h.stack.jira.issues[item.tickets["jira"]["id"]]
    assert jira_issue.history[-1] == "Done"  # through POST /transitions with id 31
    posted = h.stack.jira.requests("POST", "/transitions")[-1].json()
    assert posted == {"transition": {"id": "31"}}
    assert item.artifacts[ARTIFACT]["jira"] == "Done"
    assert (await sync.run()).synced == []


async def test_both_changed_jira_wins_and_the_conflict_is_in_the_timeline(
    harness: Harness,
) -> None:
    h = harness
    item = await roadmap_item(h)
    sync = make_sync(h)
    await sync.run()
    jira_to(h, item, "In Progress")
    h.stack.github.project.set_status_of(node(item), "Done")
    report = await sync.run()
    assert report.conflicts == [item.id]
    assert h.stack.github.project.status_of(node(item)) == "In Progress"
    assert epic(h, item) == "In Progress"
    conflict = item.timeline[-1]
    assert conflict["kind"] == "roadmap.conflict"
    assert "Jira wins" in conflict["text"]
    assert "'Todo' -> 'Done'" in conflict["text"]


async def test_graphql_error_is_typed_and_noted_once(harness: Harness) -> None:
    h = harness
    item = await roadmap_item(h)
    sync = make_sync(h, project="acme/7")  # no such project: HTTP 200 with `errors`
    report = await sync.run()
    assert "NOT_FOUND" in report.failed[item.id]
    assert "Could not resolve to a ProjectV2 with the number 7" in report.failed[item.id]
    await sync.run()
    assert [e["kind"] for e in item.timeline].count("roadmap.sync_failed") == 1
    assert h.stack.github.project.items == {}


async def test_401_from_github_fails_the_item_and_the_next_run_recovers(
    harness: Harness,
) -> None:
    h = harness
    item = await roadmap_item(h)
    sync = make_sync(h)
    h.stack.github.fail_next(
        Fault(401, {"message": "Bad credentials"}, method="POST", path_contains="/graphql")
    )
    report = await sync.run()
    assert "HTTP 401" in report.failed[item.id]
    assert "Bad credentials" in report.failed[item.id]
    assert ARTIFACT not in item.artifacts or "item" not in item.artifacts[ARTIFACT]
    report = await sync.run()
    assert report.synced == [item.id]
    assert "error" not in item.artifacts[ARTIFACT]


async def test_items_without_both_tickets_wait(harness: Harness) -> None:
    h = harness
    h.stack.jira.fail_next(Fault(503, timeout=False, method="POST", path_contains="/issue"))
    await h.incidents.open_roadmap(key="roadmap:x", title="t", body="b", related=[], artifacts={})
    await h.drain()
    report = await make_sync(h).run()
    assert report.skipped == 1
    assert report.synced == []


@pytest.mark.parametrize("text", ["To Do", "To Do=Todo,Done=Todo", "=Todo"])
def test_a_bad_status_map_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="roadmap status map"):
        StatusMap.parse(text)
