"""Roadmap sync in the running demo app: the fakes' GitHub Project stands in (no settings
needed), the sync loop is scheduled, and a bad status map is refused at startup."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from incident_app import incident_app

from symphony.clock import FixedClock
from symphony.incidents.config import IncidentsSettings
from symphony.settings import SettingsError


async def test_demo_mode_mirrors_roadmap_items_into_the_fake_project(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with incident_app(tmp_path, clock) as h:
        sync = h.runtime.services.roadmap_sync
        assert sync is not None
        item = await h.runtime.services.incidents.open_roadmap(
            key="roadmap:demo",
            title="[Roadmap] SLO debt: demo",
            body="b",
            related=[],
            artifacts={},
        )
        assert item is not None
        await h.settle()
        report = await sync.run()
        assert report.synced == [item.id]
        node = f"I_fake{item.tickets['github']['id']}"
        assert h.fakes.github.project.status_of(node) == "Todo"
        view = (await h.client.get(f"/incidents/{item.id}")).json()
        assert view["artifacts"]["roadmap_sync"]["github"] == "Todo"
        assert view["timeline"][-1]["kind"] == "roadmap.synced"
        stop = asyncio.Event()
        loops = h.runtime.loops.loops(stop, 900.0)  # the nightly hook is a system job
        assert "roadmap-sync" in loops
        for coroutine in loops.values():
            coroutine.close()


def test_a_bad_status_map_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="SYMPHONY_INCIDENTS_ROADMAP_STATUS_MAP"):
        IncidentsSettings.from_env({"SYMPHONY_INCIDENTS_ROADMAP_STATUS_MAP": "To Do"})
    with pytest.raises(SettingsError, match="SYMPHONY_INCIDENTS_GITHUB_PROJECT"):
        IncidentsSettings.from_env({"SYMPHONY_INCIDENTS_GITHUB_PROJECT": "acme"})
