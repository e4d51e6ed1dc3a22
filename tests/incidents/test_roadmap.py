"""The roadmap hook: SLO debt becomes one GitHub issue labelled `roadmap` and one Jira epic,
linked to the incidents it summarises; once a day."""

from __future__ import annotations

from datetime import timedelta

from incident_harness import Harness

from symphony.integrations.jira.adf import adf_text


async def test_no_debt_files_nothing(harness: Harness) -> None:
    h = harness
    await h.traffic(20, latency_ms=300)
    assert await h.services.roadmap.file_slo_debt(h.clock.now()) is None


async def test_slo_debt_becomes_one_linked_roadmap_item_per_day(harness: Harness) -> None:
    h = harness
    await h.traffic(3, latency_ms=3500)  # a breach: an incident with tickets
    await h.drain()
    [incident] = h.incidents.incidents()
    item = await h.services.roadmap.file_slo_debt(h.clock.now())
    assert item is not None
    assert item.related == [incident.id]
    assert item.title == "[Roadmap] SLO debt: execute-latency"
    await h.drain()
    issue = next(i for i in h.stack.github.issues.values() if "roadmap" in i.labels)
    assert issue.labels == ["roadmap", "slo", "symphony"]
    assert incident.tickets["github"]["url"] in issue.body  # GitHub backlinks the incident
    assert "error budget left: -900.0%" in issue.body
    epic = next(j for j in h.stack.jira.issues.values() if j.fields["issuetype"]["name"] == "Epic")
    assert "SLO debt" in adf_text(epic.fields["description"])
    assert ("Relates", "SYM-1", True) in epic.links  # the incident's Jira issue
    assert ("Relates", epic.key, False) in h.stack.jira.issues["SYM-1"].links
    assert [i.id for i in h.incidents.incidents(roadmap=True)] == [item.id]
    assert "symphony_incidents_open 1.0" in h.metrics.render().decode()  # not counted
    # The nightly job running twice the same day files nothing more.
    assert await h.services.roadmap.file_slo_debt(h.clock.now() + timedelta(hours=1)) is None
    await h.drain()
    assert sum("roadmap" in i.labels for i in h.stack.github.issues.values()) == 1
