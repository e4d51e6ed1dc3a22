"""The committed alerting/prometheus.yml scrapes a Symphony whose /metrics needs a key or the
scrape token (authentication on, SYMPHONY_METRICS_TOKEN set): a real Prometheus reads the
token from secrets/symphony_metrics_token and the target is up; with a wrong token it is down
with a 401, and without the file the scrape fails naming the file (what the runbook warns of)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from obs_stack import SCRAPE_TOKEN, Prometheus, need, prometheus_config, start_prometheus

from app_support import demo_settings, serve_live


async def target(prom: Prometheus, health: str) -> dict[str, Any]:
    """Poll Prometheus' /api/v1/targets until the symphony target reports `health`."""
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(300):
            body = (await client.get(f"{prom.base}/api/v1/targets")).json()
            found = [t for t in body["data"]["activeTargets"] if t["labels"]["job"] == "symphony"]
            if found and found[0]["health"] == health:
                return dict(found[0])
            await asyncio.sleep(0.1)
    raise AssertionError(f"the symphony target never became {health}: {found}")


@pytest.mark.slow
async def test_committed_scrape_config_reads_the_token_file(tmp_path: Path) -> None:
    need("prometheus")
    settings = demo_settings(tmp_path / "symphony").replace(
        auth_enabled=True, metrics_token=SCRAPE_TOKEN
    )
    async with serve_live(settings) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
            assert (await client.get("/metrics")).status_code == 401  # auth really is on
        config = prometheus_config(live.url.removeprefix("http://"), [], None)
        for token, health, error in (
            (SCRAPE_TOKEN, "up", ""),
            ("wrong-token", "down", "401"),
            (None, "down", "symphony_metrics_token"),
        ):
            home = tmp_path / f"prom-{health}-{token is None}"
            home.mkdir()
            prom = await asyncio.to_thread(start_prometheus, home, config)
            try:
                secret = home / "secrets" / "symphony_metrics_token"
                if token is None:
                    secret.unlink()
                else:
                    secret.write_text(token + "\n")  # a trailing newline, as `echo` writes
                found = await target(prom, health)
                assert error in found["lastError"], found
            finally:
                prom.process.stop()
