"""`symphony drill` against a real demo Symphony on a socket: breach, incident with tickets
in the fakes, recovery and autoclose; exit 0 only when every step happened (real time,
bounded by the drill's own per-phase timeout)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app_support import demo_settings, running_app, serve_live
from symphony.cli.drill_cmd import drill
from symphony.settings import Settings


async def test_drill_passes_against_a_live_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve_live(demo_settings(tmp_path)) as live:
        # No simulator URL given (as the VS Code extension's Run Drill): the drill asks the
        # service, which names its simulator (on a free port here, not 8788) in demo mode.
        code = await drill(live.url, None, {}, 4, 120.0)
        out = capsys.readouterr().out
        assert code == 0, out
        assert f"simulator: {str(live.sim.base_url).rstrip('/')}" in out
        fakes = live.state.incidents.fakes
        [issue] = fakes.github.issues.values()
        assert issue.state == "closed"
        [jira] = fakes.jira.issues.values()
        assert jira.status.name == "Done"
        for step in ("opened", "ticket github", "ticket jira", "resolved", "drill passed"):
            assert step in out, out


async def test_drill_fails_naming_the_step_when_nothing_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await drill("http://127.0.0.1:9", "http://127.0.0.1:9", {}, 1, 1.0)
    assert code == 1
    assert "FAILED: cannot reach" in capsys.readouterr().out


async def test_the_simulator_is_named_only_in_demo_mode(tmp_path: Path, settings: Settings) -> None:
    async with serve_live(demo_settings(tmp_path)) as live, httpx.AsyncClient() as client:
        health = (await client.get(f"{live.url}/status/health.json")).json()
        assert health["simulator"] == str(live.sim.base_url).rstrip("/")
    async with running_app(settings.replace(data_dir=tmp_path / "real")) as (_, app_client):
        assert "simulator" not in (await app_client.get("/status/health.json")).json()
