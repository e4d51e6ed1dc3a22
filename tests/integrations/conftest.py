"""Shared fixtures: a fixed clock and the fake stack behind one httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from symphony.clock import FixedClock
from symphony.integrations.fakes import FakeStack
from symphony.integrations.jira.config import JiraProject
from symphony.integrations.registry import IntegrationConfigs, Integrations, build_integrations


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 22, 17, 0, tzinfo=UTC))


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


@pytest.fixture
async def http(stack: FakeStack) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.http_client() as client:
        yield client


@pytest.fixture
def integrations(stack: FakeStack, http: httpx.AsyncClient, clock: FixedClock) -> Integrations:
    configs = IntegrationConfigs.from_env(stack.environ())
    return build_integrations(configs, JiraProject("SYM"), http, clock)
