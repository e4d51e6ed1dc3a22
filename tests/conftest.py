"""Shared fixtures: a real app (lifespan included) over httpx.ASGITransport.

Every response a test receives from a Symphony app is checked against the app's OpenAPI
document (`contract_check`): the shared fixtures wrap their app explicitly, and the autouse
`contract_check` fixture wraps any other `httpx.ASGITransport` a test builds around one.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app_support import running_app
from contract_check import VIOLATIONS, contract_checked
from symphony.clock import FixedClock
from symphony.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"


@pytest.fixture(autouse=True)
def contract_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Check every response from a Symphony app against its declared contract."""
    build = httpx.ASGITransport.__init__

    def checked_transport(self: httpx.ASGITransport, app: object, **kwargs: object) -> None:
        build(self, contract_checked(app), **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.ASGITransport, "__init__", checked_transport)
    VIOLATIONS.clear()
    yield
    found, VIOLATIONS[:] = list(VIOLATIONS), []
    assert not found, "responses broke their declared contract:\n" + "\n".join(found)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped policy so tests can edit it."""
    target = tmp_path / "config"
    target.mkdir()
    for name in ("router.policy.yml", "model.windows.yml"):
        shutil.copy(CONFIG / name, target / name)
    return target


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 22, 17, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, policy_dir: Path) -> Settings:
    return Settings().replace(
        policy_file=policy_dir / "router.policy.yml",
        windows_file=policy_dir / "model.windows.yml",
        data_dir=tmp_path / "data",
        auth_enabled=False,
        watch_policy=False,
        health_probe_interval_s=3600,
        health_probe_timeout_s=0.2,
    )


class AppHarness:
    def __init__(self, app: object, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    @property
    def state(self) -> object:
        return self.app.state.symphony  # type: ignore[attr-defined]


@pytest.fixture
async def harness(settings: Settings, clock: FixedClock) -> AsyncIterator[AppHarness]:
    async with running_app(settings, clock=clock) as (app, client):
        yield AppHarness(app, client)
