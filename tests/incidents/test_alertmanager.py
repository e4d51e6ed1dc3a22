"""Alertmanager webhook v4 (bodies captured from a real Alertmanager 0.25): one incident
per alert, duplicates and out-of-order deliveries change nothing, resolve closes, and an
`slo` label meets the in-process evaluator in the same incident."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from incident_harness import FIXTURES, Harness, am_payload
from pydantic import ValidationError

from symphony.incidents.alertmanager import AlertmanagerPayload


def test_the_captured_payloads_validate() -> None:
    firing = am_payload("slo_firing")
    assert firing.version == "4"
    assert firing.group_key == '{}:{alertname="SymphonySLOErrorBudgetBurn", slo="execute-latency"}'
    assert firing.truncated_alerts == 0
    [alert] = firing.alerts
    assert alert.ends is None  # 0001-01-01T00:00:00Z while firing
    assert alert.generator_url == ""  # posted with amtool
    resolved = am_payload("slo_resolved").alerts[0]
    assert resolved.ends is not None
    assert resolved.starts == alert.starts
    assert resolved.fingerprint == alert.fingerprint


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"version": "3"}, "version"),
        ({"groupKey": None}, "groupKey"),
    ],
)
def test_payload_validation(change: dict[str, object], error: str) -> None:
    data = json.loads((FIXTURES / "slo_firing.json").read_text())
    data.update(change)
    with pytest.raises(ValidationError) as err:
        AlertmanagerPayload.model_validate(data)
    assert error in str(err.value)
    data = json.loads((FIXTURES / "slo_firing.json").read_text())
    del data["alerts"][0]["fingerprint"]
    with pytest.raises(ValidationError):
        AlertmanagerPayload.model_validate(data)


async def test_fire_duplicate_resolve(harness: Harness) -> None:
    h = harness
    result = await h.incidents.on_alertmanager(am_payload("slo_firing"))
    [incident_id] = result.opened
    again = await h.incidents.on_alertmanager(am_payload("slo_firing"))  # HA duplicate
    assert again.to_dict() == {
        "opened": [],
        "reopened": [],
        "resolved": [],
        "updated": [],
        "ignored": 1,
    }
    await h.drain()
    incident = h.incidents.get(incident_id)
    assert incident.key == "slo:execute-latency"
    assert incident.source == "alertmanager"
    assert incident.severity == "p1"
    assert incident.artifacts["alertmanager"]["fingerprint"] == "1daa23fd9ca812f4"
    assert len(h.stack.github.issues) == 1
    done = await h.incidents.on_alertmanager(am_payload("slo_resolved"))
    assert done.resolved == [incident_id]
    assert (await h.incidents.on_alertmanager(am_payload("slo_resolved"))).ignored == 1
    late = await h.incidents.on_alertmanager(am_payload("slo_firing"))  # a stale firing
    assert late.ignored == 1
    await h.drain()
    assert h.incidents.get(incident_id).status == "resolved"
    assert h.stack.github.issues[1].state == "closed"
    assert len(h.incidents.incidents()) == 1


async def test_resolved_delivered_before_firing_opens_nothing(harness: Harness) -> None:
    h = harness
    first = await h.incidents.on_alertmanager(am_payload("slo_resolved"))
    assert first.ignored == 1
    second = await h.incidents.on_alertmanager(am_payload("slo_firing"))
    assert second.ignored == 1
    assert h.incidents.incidents() == []
    await h.restart()  # the marks survive a restart too
    assert (await h.incidents.on_alertmanager(am_payload("slo_firing"))).ignored == 1


async def test_evaluator_and_alertmanager_meet_in_one_incident(harness: Harness) -> None:
    h = harness
    await h.traffic(2, latency_ms=3500)  # the evaluator opens slo:execute-latency
    result = await h.incidents.on_alertmanager(am_payload("slo_firing"))
    assert result.opened == []
    [incident] = h.incidents.incidents()
    assert set(incident.firing) == {"evaluator", "am:1daa23fd9ca812f4"}
    await h.incidents.on_alertmanager(am_payload("slo_resolved"))
    assert incident.status == "open"  # the evaluator still sees the burn
    await h.traffic(40, latency_ms=300)
    assert incident.status == "resolved"
    await h.drain()
    assert len(h.stack.github.issues) == 1


async def test_plain_alert_and_reopen_on_a_new_episode(harness: Harness) -> None:
    h = harness
    result = await h.incidents.on_alertmanager(am_payload("plain_firing"))
    [incident_id] = result.opened
    incident = h.incidents.get(incident_id)
    assert incident.key == "am:60acdbaa8eb6d038"
    assert incident.title == "[Alert] SymphonyUpstreamErrors: Upstream error ratio above 5%"
    assert incident.severity == "p2"
    assert incident.body == "openai/chatgpt-plus failed 12% of attempts over 10m"
    starts = am_payload("plain_firing").alerts[0].starts
    resolved_at = (starts + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    resolved = am_payload("plain_firing", status="resolved", endsAt=resolved_at)
    resolved.status = "resolved"
    assert (await h.incidents.on_alertmanager(resolved)).resolved == [incident_id]
    # The same alert fires again 20 minutes later (a new startsAt): within the parity
    # file's reopen_within (1h) it reopens the same incident.
    new_start = (starts + timedelta(minutes=21)).isoformat().replace("+00:00", "Z")
    refire = await h.incidents.on_alertmanager(am_payload("plain_firing", startsAt=new_start))
    assert refire.reopened == [incident_id]
    assert h.incidents.get(incident_id).episode == 2
    await h.drain()
    assert len(h.stack.github.issues) == 1
    assert h.stack.github.issues[1].state == "open"


async def test_incidents_survive_a_restart(harness: Harness) -> None:
    h = harness
    await h.incidents.on_alertmanager(am_payload("plain_firing"))
    await h.drain()
    before = [i.to_dict() for i in h.incidents.incidents()]
    await h.restart()
    assert [i.to_dict() for i in h.incidents.incidents()] == before
    assert (await h.incidents.on_alertmanager(am_payload("plain_firing"))).ignored == 1
