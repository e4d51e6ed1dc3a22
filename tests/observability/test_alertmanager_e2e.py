"""One alert all the way: Prometheus fires it, the real Alertmanager (the committed
alertmanager.yml, its templates and file secrets) notifies Slack, PagerDuty and the Symphony
webhook, here local receivers that record what arrives; the same SLO's ticket is inhibited
while the page fires; then both resolve.

test_alertmanager_symphony_e2e.py aims the same `symphony` receiver at a running Symphony's
POST /integrations/alertmanager and follows the incident it opens until it resolves.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml
from aiohttp import web
from obs_stack import (
    ALERTING,
    Process,
    free_port,
    need,
    prometheus_config,
    start_prometheus,
)

T = TypeVar("T")
ZERO_TIME = "0001-01-01T00:00:00Z"
SECRETS = "/etc/alertmanager/secrets"
API_KEY = "sym-e2e-key"
ROUTING_KEY = "e2e-routing-key-0123456789abcdef"
# A page and a ticket for the same SLO, like the generated burn-rate alerts (a fast burn
# pages; the slow burn tickets too). Their conditions are a gauge the test serves and
# Prometheus scrapes, so the test switches each alert on and off without reloading rules.
RULES = """
groups:
  - name: e2e
    rules:
      - alert: SymphonyE2EBurn
        expr: e2e_burn{severity="page"} > 0
        labels:
          slo: e2e-latency
          model: openai/chatgpt-plus
        annotations:
          summary: "e2e: Symphony pages"
          runbook_url: docs/runbook.md#slo-error-budget-burn
          audit_id: aud_e2e
      - alert: SymphonyE2EBurn
        expr: e2e_burn{severity="ticket"} > 0
        labels:
          slo: e2e-latency
          model: openai/chatgpt-plus
        annotations:
          summary: "e2e: Symphony tickets"
          runbook_url: docs/runbook.md#slo-error-budget-burn
"""


class Recorder:
    """Local stand-ins for Slack, PagerDuty and Symphony's webhook: keep every request."""

    def __init__(self) -> None:
        self.burn = {"page": 0, "ticket": 0}  # served as e2e_burn{severity} on /metrics
        self.calls: dict[str, list[tuple[dict[str, str], Any]]] = {
            "slack": [],
            "pagerduty": [],
            "symphony": [],
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/slack", self.slack)
        app.router.add_post("/pagerduty", self.pagerduty)
        app.router.add_post("/integrations/alertmanager", self.symphony)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def metrics(self, _request: web.Request) -> web.Response:
        lines = [f'e2e_burn{{severity="{k}"}} {v}' for k, v in self.burn.items()]
        return web.Response(text="\n".join(lines) + "\n")

    async def _keep(self, name: str, request: web.Request) -> Any:
        body = await request.json()
        self.calls[name].append((dict(request.headers), body))
        return body

    async def slack(self, request: web.Request) -> web.Response:
        await self._keep("slack", request)
        return web.Response(text="ok")  # Slack's incoming webhooks answer 200 "ok"

    async def pagerduty(self, request: web.Request) -> web.Response:
        body = await self._keep("pagerduty", request)
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]},
            status=202,
        )

    async def symphony(self, request: web.Request) -> web.Response:
        await self._keep("symphony", request)
        return web.json_response({"ok": True})


async def apoll(check: Callable[[], T | None], what: str, deadline_s: float = 90) -> T:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {deadline_s:.0f}s waiting for {what}")


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    rec = Recorder()
    runner = web.AppRunner(rec.app())
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield rec, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def alertmanager_dir(tmp: Path, receiver_base: str) -> Path:
    """The committed config and templates (relative `templates/*.tmpl`, resolved against the
    config's folder), with this run's addresses, secret files and short group timers."""
    home = tmp / "alertmanager"
    shutil.copytree(ALERTING / "templates", home / "templates")
    secrets = home / "secrets"
    secrets.mkdir()
    (secrets / "slack_webhook_url").write_text(f"{receiver_base}/slack\n")
    (secrets / "pagerduty_routing_key").write_text(ROUTING_KEY + "\n")
    (secrets / "symphony_api_key").write_text(API_KEY + "\n")
    text = (ALERTING / "alertmanager.yml").read_text()
    config = yaml.safe_load(text.replace(SECRETS + "/", f"{secrets}/"))
    config["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    receivers = {r["name"]: r for r in config["receivers"]}
    receivers["slack_and_pd"]["pagerduty_configs"][0]["url"] = f"{receiver_base}/pagerduty"
    hook = receivers["symphony"]["webhook_configs"][0]
    hook["url"] = f"{receiver_base}/integrations/alertmanager"
    (home / "alertmanager.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


async def start_alertmanager(tmp: Path, home: Path) -> tuple[Process, str]:
    binary = need("prometheus-alertmanager")
    port = free_port()
    elsewhere = tmp / "cwd"  # not the config's folder: relative paths must still resolve
    elsewhere.mkdir()
    args = [
        binary,
        f"--config.file={home / 'alertmanager.yml'}",
        f"--storage.path={tmp / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=debug",
    ]
    process = Process(args, tmp / "alertmanager.log", elsewhere, dict(os.environ))
    base = f"http://127.0.0.1:{port}"

    async def ready() -> bool:
        if not process.alive():
            raise AssertionError(f"alertmanager exited:\n{process.log()}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"{base}/-/ready")).status_code == 200
        except httpx.HTTPError:
            return False

    deadline = time.monotonic() + 60
    while not await ready():
        if time.monotonic() > deadline:
            process.stop()
            raise AssertionError(f"alertmanager not ready:\n{process.log()}")
        await asyncio.sleep(0.2)
    return process, f"127.0.0.1:{port}"


@pytest.mark.slow
async def test_a_page_reaches_slack_pagerduty_and_the_webhook_then_resolves(
    tmp_path: Path, recorder: tuple[Recorder, str]
) -> None:
    need("prometheus")
    rec, receiver_base = recorder
    home = alertmanager_dir(tmp_path, receiver_base)
    am, am_address = await start_alertmanager(tmp_path, home)
    rules = tmp_path / "e2e.rules.yml"
    rules.write_text(RULES)
    prom_dir = tmp_path / "prometheus"
    prom_dir.mkdir()
    try:
        config = prometheus_config(receiver_base.removeprefix("http://"), [rules], am_address)
        # Alerts evaluated before Prometheus discovered Alertmanager are re-sent only after
        # --rules.alert.resend-delay (1 m by default).
        prom = await asyncio.to_thread(
            start_prometheus, prom_dir, config, "--rules.alert.resend-delay=1s"
        )
        try:
            await run_alert_path(rec, f"http://{am_address}")
        finally:
            prom.process.stop()
    finally:
        am.stop()


async def run_alert_path(rec: Recorder, am_base: str) -> None:
    rec.burn["page"] = 1
    await apoll(lambda: all(rec.calls.values()), "Slack, PagerDuty and the webhook notified")
    check_webhook(*rec.calls["symphony"][0], status="firing")
    check_slack(rec.calls["slack"][0][1])
    check_pagerduty(rec.calls["pagerduty"][0][1], "trigger")

    # The slow burn fires too: Alertmanager suppresses the ticket while the page fires.
    rec.burn["ticket"] = 1
    ticket = await apoll(lambda: alert_of(am_base, "ticket"), "the ticket in Alertmanager")
    assert ticket["status"]["state"] == "suppressed"
    assert ticket["status"]["inhibitedBy"]
    # Both clear (the ticket first: the other way round, once the page no longer inhibits
    # it, a still-burning ticket rightly reaches Symphony).
    rec.burn["ticket"] = 0
    await apoll(lambda: alert_of(am_base, "ticket") is None, "the ticket resolved")
    rec.burn["page"] = 0
    resolved = await apoll(
        lambda: [b for _, b in rec.calls["symphony"] if b["status"] == "resolved"],
        "the resolved notification",
    )
    # A resolved notification lists the group's resolved alerts (the ticket too, resolved).
    for alert in resolved[0]["alerts"]:
        assert alert["status"] == "resolved"
        assert alert["endsAt"] != ZERO_TIME
    assert "page" in {a["labels"]["severity"] for a in resolved[0]["alerts"]}
    await apoll(
        lambda: any(b["event_action"] == "resolve" for _, b in rec.calls["pagerduty"]),
        "PagerDuty resolve",
    )
    firing = [
        a["labels"]["severity"]
        for _, b in rec.calls["symphony"]
        for a in b["alerts"]
        if a["status"] == "firing"
    ]
    assert firing == ["page"], "the page's SLO was ticketed a second time"


def alert_of(am_base: str, severity: str) -> dict[str, Any] | None:
    """The active alert of this severity as Alertmanager's API shows it (None: none)."""
    for alert in httpx.get(f"{am_base}/api/v2/alerts", timeout=5).json():
        if alert["labels"].get("severity") == severity:
            return dict(alert)
    return None


def check_webhook(headers: dict[str, str], body: dict[str, Any], status: str) -> None:
    """Alertmanager's webhook payload version 4, as issue 13's receiver will parse it."""
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert body["version"] == "4"
    assert body["status"] == status
    assert body["receiver"] == "symphony"
    assert isinstance(body["groupKey"], str)
    assert body["groupKey"]
    assert body["truncatedAlerts"] == 0
    assert body["groupLabels"] == {
        "alertname": "SymphonyE2EBurn",
        "slo": "e2e-latency",
        "model": "openai/chatgpt-plus",
    }
    assert body["commonLabels"]["severity"] == "page"
    assert body["commonAnnotations"]["summary"] == "e2e: Symphony pages"
    assert body["externalURL"].startswith("http")
    [alert] = body["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"]["alertname"] == "SymphonyE2EBurn"
    assert alert["labels"]["severity"] == "page"  # the ticket is inhibited
    assert alert["annotations"]["runbook_url"] == "docs/runbook.md#slo-error-budget-burn"
    assert alert["startsAt"].endswith("Z") or "+" in alert["startsAt"]
    assert alert["endsAt"] == ZERO_TIME
    assert "/graph?g0.expr=" in alert["generatorURL"]
    assert len(alert["fingerprint"]) == 16


def check_slack(body: dict[str, Any]) -> None:
    """The seed's title/text template, rendered by Alertmanager itself."""
    assert body["channel"] == "#symphony-alerts"
    [attachment] = body["attachments"]
    assert attachment["title"] == "[SLO] SymphonyE2EBurn page"
    text = attachment["text"]
    assert "*Firing:* e2e: Symphony pages" in text
    assert "*Model:* openai/chatgpt-plus" in text
    assert "*p95:* 0.95" in text
    assert "*Audit:* aud_e2e" in text
    assert "*Runbook:* docs/runbook.md#slo-error-budget-burn" in text


def check_pagerduty(body: dict[str, Any], action: str) -> None:
    assert body["routing_key"] == ROUTING_KEY
    assert body["event_action"] == action
    assert body["payload"]["severity"] == "critical"  # page -> a PagerDuty critical
    assert body["payload"]["summary"] == "e2e: Symphony pages"
