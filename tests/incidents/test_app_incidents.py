"""The incidents wired into the running service: an SLO breach opens one incident and one
ticket per integration, recovery autocloses, the outbox retries and survives a restart,
Alertmanager's webhook, hand-filed incidents, GET /slo, /integrations and health."""

from __future__ import annotations

from pathlib import Path

from incident_app import incident_app
from incident_harness import FIXTURES

from app_support import demo_settings, poll_until
from symphony.clock import FixedClock
from symphony.integrations.fake_http import Fault


async def test_breach_opens_one_incident_and_one_ticket_per_integration_then_autocloses(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with incident_app(tmp_path, clock) as h:
        await h.traffic(20, latency_ms=5000)  # every execute over the 2 s threshold
        await h.settle()
        await h.traffic(10, latency_ms=5000)  # still firing: nothing new
        await h.settle()
        listed = (await h.client.get("/incidents")).json()
        assert listed["open"] == 1
        [incident] = listed["incidents"]
        assert incident["slo"] == "execute-latency"
        assert incident["source"] == "slo"
        fakes = h.fakes
        assert len(fakes.github.issues) == 1
        assert len(fakes.jira.issues) == 1
        assert len([e for e in fakes.pagerduty.events if e["event_action"] == "trigger"]) == 1
        assert len(fakes.slack.messages) == 1
        issue = next(iter(fakes.github.issues.values()))
        assert {"slo", "auto"} <= set(issue.labels)
        view = (await h.client.get(f"/incidents/{incident['id']}")).json()
        assert {t["system"] for t in view["tickets"]} == {"github", "jira"}
        assert all(t["url"].startswith("http") for t in view["tickets"])
        assert view["artifacts"]["policy_version"]
        assert [e["incident_id"] for e in h.events("incident.opened")] == [incident["id"]]
        assert {e["vendor"] for e in h.events("ticket.created")} == {"github", "jira"}

        await h.traffic(70, latency_ms=100)  # recovery: both windows burn under the factor
        await h.settle()
        view = (await h.client.get(f"/incidents/{incident['id']}")).json()
        assert view["status"] == "resolved"
        assert view["state"] == "resolved"
        assert {t["state"] for t in view["tickets"]} == {"closed"}
        assert issue.state == "closed"
        assert issue.comments
        jira = next(iter(fakes.jira.issues.values()))
        assert jira.status.name == "Done"
        assert [e["event_action"] for e in fakes.pagerduty.events] == ["trigger", "resolve"]
        assert len(h.events("incident.resolved")) == 1
        await h.runtime.flow.drain()
        audit = h.app.state.symphony.audit
        assert [r.type for r in await audit.query(type="incident.opened")] == ["incident.opened"]
        assert await audit.query(type="ticket.created")


async def test_outbox_retries_a_5xx_and_creates_the_ticket_once(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with incident_app(tmp_path, clock) as h:
        h.fakes.github.fail_next(Fault(500, {"message": "Server Error"}, method="POST"))
        answer = await h.client.post(
            "/incidents", json={"title": "Ledger disk 95 % full", "severity": "p2"}
        )
        assert answer.status_code == 201
        await h.settle()
        assert len(h.fakes.github.issues) == 1
        failed = h.events("ticket.failed")
        assert failed
        assert failed[0]["vendor"] == "github"
        assert failed[0]["final"] is False
        view = (await h.client.get(f"/incidents/{answer.json()['id']}")).json()
        create = next(a for a in view["outbox"] if a["action"] == "github.create")
        assert create["status"] == "done"
        assert create["attempts"] == 2


async def test_pending_outbox_entries_survive_a_restart(tmp_path: Path, clock: FixedClock) -> None:
    async with incident_app(tmp_path, clock) as h:
        for fake in (h.fakes.github, h.fakes.jira):
            fake.fail_next(*[Fault(503, "down") for _ in range(3)])
        body = {"title": "GitHub down while filing", "severity": "p3"}
        answer = await h.client.post("/incidents", json=body, params={"wait_s": 0})
        incident_id = answer.json()["id"]
        await poll_until(lambda: _true(h.fakes.github.received), "the first GitHub attempt")
        pending = {e.name for e in h.runtime.services.outbox.pending()}
        assert "github.create" in pending
    async with incident_app(tmp_path, clock) as h:  # same data dir: a restart
        await h.settle()
        assert len(h.fakes.github.issues) == 1  # delivered by the new process, once
        view = (await h.client.get(f"/incidents/{incident_id}")).json()
        assert {t["system"] for t in view["tickets"]} == {"github", "jira"}


async def _true(value: object) -> bool:
    return bool(value)


async def test_alertmanager_webhook_opens_dedupes_and_resolves(
    tmp_path: Path, clock: FixedClock
) -> None:
    firing = (FIXTURES / "plain_firing.json").read_text()
    async with incident_app(tmp_path, clock) as h:
        headers = {"content-type": "application/json"}
        first = await h.client.post("/integrations/alertmanager", content=firing, headers=headers)
        assert first.status_code == 200, first.text
        [opened] = first.json()["opened"]
        again = await h.client.post("/integrations/alertmanager", content=firing, headers=headers)
        assert again.json() == {
            "opened": [], "reopened": [], "resolved": [], "updated": [], "ignored": 1
        }  # fmt: skip
        resolved = firing.replace('"status": "firing"', '"status": "resolved"').replace(
            '"endsAt": "0001-01-01T00:00:00Z"', '"endsAt": "2026-12-01T16:10:00Z"'
        )
        done = await h.client.post("/integrations/alertmanager", content=resolved, headers=headers)
        assert done.json()["resolved"] == [opened]
        await h.settle()
        assert len(h.fakes.github.issues) == 1
        assert next(iter(h.fakes.github.issues.values())).state == "closed"
        bad = await h.client.post("/integrations/alertmanager", json={"version": "3"})
        assert bad.status_code == 422


async def test_file_incident_answers_the_shape_the_vs_code_extension_reads(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with incident_app(tmp_path, clock) as h:
        body = {"title": "Checkout answers take 30 s", "body": "from the IDE", "severity": "p2"}
        # wait_s: a generous bound for a busy machine (the tickets usually take milliseconds)
        answer = await h.client.post("/incidents", json=body, params={"wait_s": 10})
        assert answer.status_code == 201
        data = answer.json()
        assert data["state"] == "open"
        assert data["id"].startswith("inc_")
        assert {(t["system"], bool(t["key"]), t["url"][:4]) for t in data["tickets"]} == {
            ("github", True, "http"),
            ("jira", True, "http"),
        }
        unknown = await h.client.post("/incidents", json={**body, "severity": "sev0"})
        assert unknown.status_code == 422
        assert "sev0" in unknown.json()["error"]["message"]
        missing = await h.client.get("/incidents/inc_nope")
        assert missing.status_code == 404
        resolved = await h.client.post(f"/incidents/{data['id']}/resolve", json={"note": "ok"})
        assert resolved.json()["status"] == "resolved"


async def test_slo_integrations_and_health_never_show_secrets(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with incident_app(tmp_path, clock) as h:
        slo = (await h.client.get("/slo")).json()
        assert {s["name"] for s in slo["slos"]} == {"execute-latency", "execute-availability"}
        report = await h.client.get("/integrations")
        states = {s["vendor"]: s for s in report.json()["integrations"]}
        assert all(s["enabled"] and s["fake"] for s in states.values())
        health = await h.client.get("/status/health.json")
        assert {s["vendor"] for s in health.json()["integrations"]} == set(states)
        secrets = h.fakes.environ()
        for name in ("GITHUB_TOKEN", "JIRA_API_TOKEN", "SLACK_WEBHOOK_URL"):
            assert secrets[name] not in report.text
            assert secrets[name] not in health.text
        assert (await h.client.get("/integrations/fakes")).status_code == 200


async def test_without_settings_integrations_are_off_and_say_why(
    tmp_path: Path, clock: FixedClock
) -> None:
    settings = demo_settings(tmp_path).replace(demo=False)
    async with incident_app(tmp_path, clock, settings=settings) as h:
        states = (await h.client.get("/integrations")).json()["integrations"]
        assert not any(s["enabled"] for s in states)
        assert all(s["why_off"] for s in states)
        assert (await h.client.get("/integrations/fakes")).status_code == 404
        answer = await h.client.post("/incidents", json={"title": "No tickets", "severity": "p3"})
        assert answer.status_code == 201
        assert answer.json()["tickets"] == []
