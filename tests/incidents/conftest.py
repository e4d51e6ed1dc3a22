"""Fixtures for the incident tests; the harness itself is in incident_harness.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from incident_harness import ROOT, T0, Harness

from symphony.clock import FixedClock
from symphony.incidents.parity import ParitySpec, load_parity
from symphony.integrations.fakes import FakeStack


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


@pytest.fixture
def parity() -> ParitySpec:
    spec = load_parity(ROOT / "config" / "incident.parity.yml")
    return replace(spec, github_repo="acme/tower")


@pytest.fixture
async def harness(
    tmp_path: Path, clock: FixedClock, stack: FakeStack, parity: ParitySpec
) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, clock, stack, parity)
    await h.services.start()
    yield h
    await h.aclose()
