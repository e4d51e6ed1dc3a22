"""Jobs fixtures: the demo app (in-process simulator) with a fast-polling job worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jobs_support import jobs_settings

from app_support import Demo, running_demo


@pytest.fixture(autouse=True)
def sim_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_FAST", "1")


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    async with running_demo(jobs_settings(tmp_path)) as running:
        yield running
