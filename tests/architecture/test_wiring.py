"""The composition root: one typed Services, every collaborator wired at construction."""

from __future__ import annotations

import re
import typing
from dataclasses import fields
from pathlib import Path

import httpx

from symphony.events.facts import EventType
from symphony.services import Services

SRC = Path(__file__).resolve().parents[2] / "src" / "symphony"


def test_no_service_locator_left_in_the_source() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"extras\[|\bextras\.(get|update)\(", line)
    ]
    assert offenders == []


def test_every_service_is_a_typed_field() -> None:
    hints = typing.get_type_hints(Services)
    for f in fields(Services):
        assert hints[f.name] is not typing.Any, f"Services.{f.name} is untyped"


async def test_a_built_app_wires_the_kill_switch_and_redaction(harness: typing.Any) -> None:
    services: Services = harness.state
    assert services.planning.killed == services.killswitch.check
    assert services.executor.redact == services.privacy.text
    client: httpx.AsyncClient = harness.client
    body = {"scope": "model", "target": "local/ollama", "reason": "wiring test"}
    assert (await client.post("/control/kill", json=body)).status_code == 200
    plan = await client.post("/route/plan", json={"task": "qa", "input": "hi", "loa": 1})
    assert plan.status_code == 409  # the default policy's only usable model is ollama
    candidates = {c["model"]: c for c in plan.json()["candidates"]}
    assert "killed" in [r["code"] for r in candidates["local/ollama"]["deny_reasons"]]
    assert EventType.CONTROL_KILL in {e.type for e in services.bus.buffer}
    (record,) = await services.audit.query(type="route.plan")
    assert record.payload["outcome"] == "no_eligible_model"
