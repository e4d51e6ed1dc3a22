"""Alertmanager's webhook reaching a real Symphony: Prometheus fires the test alert, the real
Alertmanager (the committed alertmanager.yml) posts it with an operator key as bearer token
to a live demo Symphony's POST /integrations/alertmanager, an incident opens with its tickets
in the demo fakes, and when the alert clears the incident resolves and the tickets close."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from obs_stack import need, prometheus_config, start_prometheus
from test_alertmanager_e2e import (
    RULES,
    Recorder,
    alertmanager_dir,
    apoll,
    recorder,
    start_alertmanager,
)

from app_support import demo_settings, serve_live
from symphony.clock import SystemClock
from symphony.security.keys import KeyStore

__all__ = ["recorder"]


def operator_key(data_dir: Path) -> str:
    store = KeyStore.open(data_dir, SystemClock())
    try:
        return store.create(name="alertmanager", role="operator")[1]
    finally:
        store.close()


def point_at_symphony(home: Path, symphony: str, key: str) -> None:
    """The committed config's `symphony` receiver, aimed at the live Symphony and its key."""
    (home / "secrets" / "symphony_api_key").write_text(key + "\n")
    path = home / "alertmanager.yml"
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    [receiver] = [r for r in config["receivers"] if r["name"] == "symphony"]
    receiver["webhook_configs"][0]["url"] = f"{symphony}/integrations/alertmanager"
    path.write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.mark.slow
async def test_alertmanager_opens_and_resolves_a_symphony_incident(
    tmp_path: Path, recorder: tuple[Recorder, str]
) -> None:
    need("prometheus")
    rec, receiver_base = recorder
    settings = demo_settings(tmp_path / "symphony").replace(auth_enabled=True)
    key = operator_key(settings.data_dir)
    async with serve_live(settings) as live:
        home = alertmanager_dir(tmp_path, receiver_base)
        point_at_symphony(home, live.url, key)
        am, am_address = await start_alertmanager(tmp_path, home)
        rules = tmp_path / "e2e.rules.yml"
        rules.write_text(RULES)
        prom_dir = tmp_path / "prometheus"
        prom_dir.mkdir()
        try:
            config = prometheus_config(receiver_base.removeprefix("http://"), [rules], am_address)
            prom = await asyncio.to_thread(
                start_prometheus, prom_dir, config, "--rules.alert.resend-delay=1s"
            )
            try:
                await alert_path(rec, live.state)
            finally:
                prom.process.stop()
        finally:
            am.stop()


async def alert_path(rec: Recorder, state: Any) -> None:
    service = state.incidents.services.incidents
    fakes = state.incidents.fakes
    rec.burn["page"] = 1
    [incident] = await apoll(lambda: service.incidents("open"), "an incident from Alertmanager")
    assert incident.source == "alertmanager"
    assert incident.key == "slo:e2e-latency"  # an `slo` label meets the evaluator's key
    assert incident.severity == "p1"  # page
    await apoll(lambda: len(fakes.github.issues) == 1 and len(fakes.jira.issues) == 1, "tickets")
    rec.burn["page"] = 0
    await apoll(lambda: incident.status == "resolved", "the incident resolved")
    [issue] = fakes.github.issues.values()
    await apoll(lambda: issue.state == "closed", "the GitHub issue closed")
    assert len(service.incidents()) == 1  # repeats and the resolve did not open another
