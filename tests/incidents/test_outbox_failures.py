"""The outbox under failure: 500s, timeouts, 429 with Retry-After, a vendor that refuses
for good, running out of attempts, and restarts with pending or half-done entries."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from incident_harness import Harness

from symphony.integrations.fake_http import Fault

GH_CREATE = Fault(
    status=500, body={"message": "Server Error"}, method="POST", path_contains="/issues"
)


def entry(h: Harness, name: str):  # type: ignore[no-untyped-def]
    [found] = [e for e in h.outbox.entries() if e.name == name]
    return found


async def test_500s_are_retried_with_backoff_and_create_exactly_once(harness: Harness) -> None:
    h = harness
    h.stack.github.fail_next(GH_CREATE, GH_CREATE)
    await h.traffic(2, latency_ms=3500)
    await h.drain()
    create = entry(h, "github.create")
    assert (create.status, create.attempts) == ("pending", 1)
    assert create.next_at == h.clock.now().timestamp() + 2  # base backoff
    link = entry(h, "jira.link")
    assert link.status == "pending"  # waits for the GitHub issue URL
    h.clock.advance(timedelta(seconds=2))
    await h.drain()
    assert (create.status, create.attempts) == ("pending", 2)
    assert create.next_at == h.clock.now().timestamp() + 4  # doubled
    await h.settle()
    assert (create.status, create.attempts) == ("done", 3)
    assert len(h.stack.github.issues) == 1
    [remote] = h.stack.jira.issues["SYM-1"].remote_links.values()
    assert remote["object"]["url"] == "https://github.com/acme/tower/issues/1"
    failed = [p for k, p in h.facts if k == "ticket.failed"]
    assert [(p["vendor"], p["final"], p["retry_in_s"]) for p in failed] == [
        ("github", False, 2.0),
        ("github", False, 4.0),
    ]
    text = h.metrics.render().decode()
    assert (
        'symphony_incident_actions_total{action="create",result="retry",vendor="github"} 2.0'
        in text
    )


async def test_429_retry_after_pauses_the_vendor(harness: Harness) -> None:
    h = harness
    h.stack.slack.fail_next(Fault(status=429, body="rate_limited", headers={"retry-after": "30"}))
    await h.traffic(2, latency_ms=3500)
    await h.drain()
    post = entry(h, "slack.post")
    assert post.status == "pending"
    assert post.next_at == h.clock.now().timestamp() + 30  # Retry-After beats the 2 s backoff
    before = len(h.stack.slack.received)
    for _ in range(5):
        h.clock.advance(timedelta(seconds=5))
        await h.drain()
    assert len(h.stack.slack.received) == before  # nothing sent to Slack while paused
    h.clock.advance(timedelta(seconds=6))
    await h.drain()
    assert post.status == "done"
    assert len(h.stack.slack.messages) == 1


async def test_a_timeout_after_github_created_the_issue_does_not_double_it(
    harness: Harness,
) -> None:
    h = harness
    h.stack.github.fail_next(
        Fault(timeout=True, after_apply=True, method="POST", path_contains="/issues")
    )
    await h.traffic(2, latency_ms=3500)
    await h.settle()
    assert len(h.stack.github.issues) == 1
    assert entry(h, "github.create").attempts == 2
    [incident] = h.incidents.incidents()
    assert incident.tickets["github"]["id"] == "1"


async def test_a_vendor_that_refuses_fails_for_good_and_cancels_what_needs_it(
    harness: Harness,
) -> None:
    h = harness
    h.stack.jira.projects = ()  # "valid project is required": a 400, not retryable
    await h.traffic(2, latency_ms=3500)
    await h.settle()
    create = entry(h, "jira.create")
    assert (create.status, create.attempts) == ("failed", 1)
    assert "valid project is required" in (create.last_error or "")
    assert {entry(h, "github.link").status, entry(h, "jira.link").status} == {"cancelled"}
    assert len(h.stack.github.issues) == 1  # GitHub is unaffected
    final = [p for k, p in h.facts if k == "ticket.failed" and p["final"]]
    assert final[0]["vendor"] == "jira"
    assert sorted(final[0]["cancelled"]) == ["github.link", "jira.link"]
    [incident] = h.incidents.incidents()
    assert any(t["kind"] == "ticket.failed" for t in incident.timeline)


async def test_running_out_of_attempts(harness: Harness) -> None:
    h = harness
    outage = Fault(status=503, body="", method="POST", path_contains="/enqueue")
    h.stack.pagerduty.fail_next(*[outage] * 10)
    await h.traffic(2, latency_ms=3500)
    await h.settle(step=timedelta(seconds=60))
    trigger = entry(h, "pagerduty.trigger")
    assert (trigger.status, trigger.attempts) == ("failed", 5)  # the harness allows 5
    assert [k for k, p in h.facts if k == "notify.failed" and p["final"]] == ["notify.failed"]


async def test_restart_with_pending_entries_files_exactly_one_ticket(harness: Harness) -> None:
    h = harness
    h.stack.github.fail_next(GH_CREATE)
    await h.traffic(2, latency_ms=3500)
    await h.drain()
    incident_id = h.incidents.incidents()[0].id
    assert entry(h, "github.create").status == "pending"
    await h.restart()
    [incident] = h.incidents.incidents()
    assert incident.id == incident_id
    assert incident.status == "open"
    assert incident.tickets["jira"]["id"] == "SYM-1"  # committed before the restart
    assert [e.name for e in h.outbox.pending()] == ["github.create", "github.link", "jira.link"]
    await h.settle()
    assert len(h.stack.github.issues) == 1
    assert h.incidents.get(incident_id).tickets["github"]["id"] == "1"
    # Repeating the alert after the restart adds nothing.
    await h.traffic(2, latency_ms=3500)
    assert len(h.incidents.incidents()) == 1
    assert h.outbox.pending() == []


async def test_crash_between_the_vendors_answer_and_our_commit(harness: Harness) -> None:
    """The worst moment: GitHub created the issue, the process died before recording it."""
    h = harness
    original = h.outbox._settle
    crashed = []

    async def crash_once(entry, outcome, cancelled):  # type: ignore[no-untyped-def]
        if entry.name == "github.create" and outcome.ok and not crashed:
            crashed.append(entry.id)
            raise RuntimeError("killed before the commit")
        await original(entry, outcome, cancelled)

    h.outbox._settle = crash_once  # type: ignore[method-assign]
    await h.traffic(2, latency_ms=3500)
    with contextlib.suppress(RuntimeError):
        await h.drain()
    assert crashed
    assert len(h.stack.github.issues) == 1
    await h.restart()  # the database still says: pending, no result
    assert next(e.name for e in h.outbox.pending()) == "github.create"
    await h.settle()
    assert len(h.stack.github.issues) == 1  # found by its marker, not filed again
    [incident] = h.incidents.incidents()
    assert incident.tickets["github"]["url"] == "https://github.com/acme/tower/issues/1"


async def test_enqueueing_the_same_action_twice_is_a_no_op(harness: Harness) -> None:
    h = harness
    await h.traffic(2, latency_ms=3500)
    [incident] = h.incidents.incidents()
    assert (
        h.outbox.new_entry(incident.id, "github", "create", f"{incident.id}:github:create", {})
        is None
    )
