"""The incidents' runtime pieces: settings (names in errors, secrets hidden, `_FILE`), the
nightly schedule, the evaluator following a policy reload, the ad-hoc GitHub issue route."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from incident_app import incident_app
from incident_harness import ROOT

from app_support import demo_settings
from symphony.clock import FixedClock
from symphony.flows.incident_runtime import next_run
from symphony.incidents.config import IncidentsSettings
from symphony.settings import SettingsError


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "hhmm", "expected"),
    [
        (
            datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
            "02:00",
            datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
            "02:00",
            datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
            "00:00",
            datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
        ),
    ],
)
def test_next_run_is_the_next_time_of_day(now: datetime, hhmm: str, expected: datetime) -> None:
    assert next_run(now, hhmm) == expected


def test_settings_name_the_variable_and_hide_secrets(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SYMPHONY_INCIDENTS_ROADMAP_AT"):
        IncidentsSettings.from_env({"SYMPHONY_INCIDENTS_ROADMAP_AT": "25:00"})
    token = tmp_path / "jira_token"
    token.write_text("jira-secret\n")
    settings = IncidentsSettings.from_env(
        {
            "GITHUB_TOKEN": "ghp_secret",
            "GITHUB_REPO": "acme/tower",
            "JIRA_API_TOKEN_FILE": str(token),
        }
    )
    assert "ghp_secret" not in repr(settings)
    env = settings.vendor_environ({"JIRA_API_TOKEN_FILE": str(token)})
    assert env == {
        "GITHUB_TOKEN": "ghp_secret",
        "GITHUB_REPO": "acme/tower",
        "JIRA_API_TOKEN_FILE": str(token),
    }
    assert settings.points_at_real({})


async def test_the_evaluator_follows_a_policy_reload(tmp_path: Path, clock: FixedClock) -> None:
    settings = demo_settings(tmp_path)
    async with incident_app(tmp_path, clock, settings=settings) as h:
        doc = yaml.safe_load(settings.policy_file.read_text())
        doc["policy"]["slos"] = doc["policy"]["slos"][:1]  # keep only execute-latency
        settings.policy_file.write_text(yaml.safe_dump(doc, sort_keys=False))
        assert (await h.client.post("/policy/reload")).status_code == 200
        await h.runtime.loops.tick()
        names = [s["name"] for s in (await h.client.get("/slo")).json()["slos"]]
        assert names == ["execute-latency"]


async def test_adhoc_github_issue_goes_through_the_outbox(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with incident_app(tmp_path, clock) as h:
        body = {"kind": "incident", "title": "Rotate the Jira token", "labels": ["ops"]}
        answer = await h.client.post("/integrations/github/issues", json=body)
        assert answer.status_code == 202
        assert answer.json()["action"] == "github.create"
        await h.settle()
        [issue] = h.fakes.github.issues.values()
        assert issue.title == "Rotate the Jira token"
        assert "ops" in issue.labels
    off = demo_settings(tmp_path / "off").replace(demo=False)
    async with incident_app(tmp_path / "off", clock, settings=off) as h:
        refused = await h.client.post("/integrations/github/issues", json=body)
        assert refused.status_code == 422
        assert "GITHUB_TOKEN" in refused.json()["error"]["message"]


async def test_parity_file_edits_apply_and_bad_ones_are_reported(
    tmp_path: Path, clock: FixedClock
) -> None:
    parity = tmp_path / "incident.parity.yml"
    parity.write_text((ROOT / "config" / "incident.parity.yml").read_text())
    env = {"SYMPHONY_INCIDENTS_PARITY_FILE": str(parity)}
    async with incident_app(tmp_path, clock, **env) as h:
        doc = yaml.safe_load(parity.read_text())
        doc["github"]["labels"] = ["incident", "edited"]
        parity.write_text(yaml.safe_dump(doc))
        os.utime(parity, (1, 1))
        await h.runtime.loops.tick()
        report = (await h.client.get("/integrations")).json()
        assert report["parity"]["github"]["labels"] == ["incident", "edited"]
        assert report["parity_error"] is None
        parity.write_text("github: [not, a, mapping]\n")
        os.utime(parity, (2, 2))
        await h.runtime.loops.tick()
        report = (await h.client.get("/integrations")).json()
        assert report["parity"]["github"]["labels"] == ["incident", "edited"]  # kept
        assert "github" in report["parity_error"]


async def test_the_mcp_incidents_tool_reads_the_running_service(
    tmp_path: Path, clock: FixedClock
) -> None:
    from symphony.mcp.caller import TRUSTED
    from symphony.mcp.tooling import invoke
    from symphony.mcp.tools import INCIDENTS_TOOL

    async with incident_app(tmp_path, clock) as h:
        body = {"title": "Seen from Copilot", "severity": "p3"}
        filed = (await h.client.post("/incidents", json=body, params={"wait_s": 0})).json()
        result = await invoke(INCIDENTS_TOOL, h.app.state.symphony, TRUSTED, {})
        assert not result.is_error, result.content
        assert [i["id"] for i in result.structured_content["items"]] == [filed["id"]]
