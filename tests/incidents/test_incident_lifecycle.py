"""An SLO breach opens one incident with GitHub + Jira tickets (cross-linked, labelled, with
the run's artifacts), Slack and PagerDuty notified; recovery autocloses; a new breach within
the window reopens. Everything checked on what the vendor fakes received."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from incident_harness import Harness

from symphony.errors import ValidationFailed
from symphony.integrations.fake_http import Fault
from symphony.integrations.jira.adf import adf_text


async def breach(h: Harness) -> str:
    changes = await h.traffic(3, latency_ms=3500)
    assert changes[0] == "execute-latency:firing:page"
    [incident] = h.incidents.incidents()
    return incident.id


async def test_breach_files_everything_once(harness: Harness) -> None:
    h = harness
    incident_id = await breach(h)
    await h.traffic(5, latency_ms=3500)  # still firing: nothing new
    assert len(h.incidents.incidents()) == 1
    await h.drain()
    incident = h.incidents.get(incident_id)
    assert incident.status == "open"
    assert incident.severity == "p1"

    [issue] = h.stack.github.issues.values()
    assert issue.title == "[SLO] execute-latency is burning its error budget (page)"
    assert issue.labels == [
        "incident",
        "slo",
        "symphony",
        "auto",
        "severity:p1",
        "component:router",
    ]
    for artifact in ("f8ef309224ee3aea", "aud_1", "openai/chatgpt-plus", "## Burn rates", "p95"):
        assert artifact in issue.body
    jira = h.stack.jira.issues["SYM-1"]
    assert jira.fields["issuetype"] == {"name": "Incident"}
    assert "severity-p1" in jira.fields["labels"]
    assert "Burn rates" in adf_text(jira.fields["description"])
    # Cross-links both ways.
    assert "http://jira.fake/browse/SYM-1" in issue.body
    [link] = jira.remote_links.values()
    assert link["object"]["url"] == f"https://github.com/acme/tower/issues/{issue.number}"
    assert incident.tickets["github"]["url"].endswith(f"/issues/{issue.number}")
    assert incident.tickets["jira"] == {
        "id": "SYM-1",
        "url": "http://jira.fake/browse/SYM-1",
        "state": "open",
    }
    [message] = h.stack.slack.messages
    assert message["text"].startswith(":rotating_light: [OPENED]")
    [event] = h.stack.pagerduty.events
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == f"symphony:{incident_id}"
    assert event["payload"]["severity"] == "critical"
    assert sorted(h.kinds()) == sorted(
        [
            "incident.opened",
            "ticket.created",
            "ticket.created",
            "ticket.updated",
            "ticket.updated",
            "notify.sent",
            "notify.sent",
        ]
    )
    kinds = [t["kind"] for t in incident.timeline]
    assert kinds[0] == "opened"
    assert kinds.count("ticket.created") == 2


async def test_recovery_autocloses_everything(harness: Harness) -> None:
    h = harness
    incident_id = await breach(h)
    await h.drain()
    changes = await h.traffic(40, latency_ms=300)
    assert changes[-1] == "execute-latency:resolved:ticket"
    await h.drain()
    incident = h.incidents.get(incident_id)
    assert incident.status == "resolved"
    [issue] = h.stack.github.issues.values()
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert issue.comments[-1]["body"].startswith("Recovered at ")
    jira = h.stack.jira.issues["SYM-1"]
    assert (jira.status.name, jira.history) == ("Done", ["Done"])
    pd_key = f"symphony:{incident_id}"
    routing = h.stack.pagerduty.routing_keys[0]
    assert h.stack.pagerduty.alerts == {(routing, pd_key): "resolved"}
    assert [e["event_action"] for e in h.stack.pagerduty.events] == ["trigger", "resolve"]
    assert h.stack.slack.messages[-1]["text"].startswith(":white_check_mark: [RESOLVED]")
    assert "incident.resolved" in h.kinds()
    assert {t["state"] for t in incident.tickets.values()} == {"closed"}


async def test_a_new_breach_within_the_window_reopens_the_same_incident(harness: Harness) -> None:
    h = harness
    incident_id = await breach(h)
    await h.drain()
    await h.traffic(40, latency_ms=300)
    await h.drain()
    h.clock.advance(timedelta(minutes=10))  # inside reopen_within (30 min for this SLO)
    await h.traffic(3, latency_ms=3500)
    await h.drain()
    [incident] = h.incidents.incidents()
    assert incident.id == incident_id
    assert (incident.status, incident.episode) == ("open", 2)
    [issue] = h.stack.github.issues.values()
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    jira = h.stack.jira.issues["SYM-1"]
    assert jira.history == ["Done", "To Do"]
    assert [e["event_action"] for e in h.stack.pagerduty.events] == [
        "trigger",
        "resolve",
        "trigger",
    ]
    assert "incident.reopened" in h.kinds()
    # ... and recovering again closes it again.
    await h.traffic(40, latency_ms=300)
    await h.drain()
    assert issue.state == "closed"
    assert jira.history == ["Done", "To Do", "Done"]
    assert len(h.stack.github.issues) == 1


async def test_a_breach_after_the_window_opens_a_new_incident(harness: Harness) -> None:
    h = harness
    first = await breach(h)
    await h.drain()
    await h.traffic(40, latency_ms=300)
    await h.drain()
    h.clock.advance(timedelta(hours=2))
    await h.traffic(3, latency_ms=3500)
    await h.drain()
    ids = [i.id for i in h.incidents.incidents()]
    assert len(ids) == 2
    assert first in ids
    assert len(h.stack.github.issues) == 2


async def test_escalation_comments_once_and_pages_only_then(harness: Harness) -> None:
    h = harness
    h.incidents.set_parity(replace(h.parity, pagerduty_severities=("p1",)))
    await h.traffic(30, latency_ms=300)
    changes = await h.traffic(40, latency_ms=3500)
    assert changes == ["execute-latency:firing:ticket", "execute-latency:firing:page"]
    await h.drain()
    [incident] = h.incidents.incidents()
    assert incident.severity == "p1"
    [issue] = h.stack.github.issues.values()
    assert "severity:p2" in issue.labels  # filed as a ticket-level incident
    assert [c["body"].splitlines()[0] for c in issue.comments] == [
        "Escalated from p2 to p1 (page)."
    ]
    assert [e["event_action"] for e in h.stack.pagerduty.events] == ["trigger"]
    assert len(h.stack.slack.messages) == 2  # opened, escalated


async def test_without_autoclose_recovery_only_comments(harness: Harness) -> None:
    h = harness
    h.incidents.set_parity(replace(h.parity, autoclose_on_recovery=False))
    await breach(h)
    await h.drain()
    await h.traffic(40, latency_ms=300)
    await h.drain()
    [issue] = h.stack.github.issues.values()
    assert issue.state == "open"
    assert issue.comments[-1]["body"].startswith("Recovered at ")
    assert h.stack.jira.issues["SYM-1"].history == []


async def test_manual_incident_and_resolve(harness: Harness) -> None:
    h = harness
    incident = await h.incidents.open_manual(
        "Checkout answers are wrong", "Seen by support.", "p3", labels=["customer"], actor="ops"
    )
    await h.drain()
    [issue] = h.stack.github.issues.values()
    assert "customer" in issue.labels
    assert "auto" not in issue.labels
    assert "Seen by support." in issue.body
    assert h.stack.pagerduty.events == []  # p3 does not page
    resolved = await h.incidents.resolve(incident.id, actor="ops")
    assert resolved.status == "resolved"
    assert await h.incidents.resolve(incident.id) is resolved  # idempotent
    await h.drain()
    assert issue.state == "closed"
    view = h.incidents.view(incident.id)
    assert {e["action"] for e in view["outbox"]} >= {"github.create", "github.close"}
    assert all(e["status"] == "done" for e in view["outbox"])


async def test_metrics_count_actions_and_open_incidents(harness: Harness) -> None:
    h = harness
    await breach(h)
    await h.drain()
    text = h.metrics.render().decode()
    assert "symphony_incidents_open 1.0" in text
    assert (
        'symphony_incident_actions_total{action="create",result="ok",vendor="github"} 1.0' in text
    )
    assert 'symphony_incident_transitions_total{event="opened",source="slo"} 1.0' in text
    assert "symphony_incident_outbox_pending 0.0" in text


async def test_ad_hoc_github_issue_goes_through_the_outbox(harness: Harness) -> None:
    h = harness
    h.stack.github.fail_next(Fault(status=502, body="", method="POST"))
    entry = await h.incidents.file_issue("Add a Grok fallback", "From the retro.", ["chore"])
    await h.settle()
    assert entry.status == "done"
    assert entry.attempts == 2
    [issue] = h.stack.github.issues.values()
    assert (issue.title, issue.labels) == ("Add a Grok fallback", ["chore"])
    assert entry.result == {
        "vendor": "github",
        "id": "1",
        "url": "https://github.com/acme/tower/issues/1",
    }


async def test_ad_hoc_issue_needs_github(harness: Harness) -> None:
    h = harness
    del h.environ["GITHUB_TOKEN"]
    await h.restart()
    with pytest.raises(ValidationFailed) as err:
        await h.incidents.file_issue("x", "y", [])
    assert err.value.message == "GitHub is off: GITHUB_TOKEN is not set"
    await h.traffic(3, latency_ms=3500)  # incidents still open, with the other integrations
    await h.drain()
    assert h.stack.github.issues == {}
    assert list(h.stack.jira.issues) == ["SYM-1"]
    assert not h.stack.jira.issues["SYM-1"].remote_links  # nothing to link to
