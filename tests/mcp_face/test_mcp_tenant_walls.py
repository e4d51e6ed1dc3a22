"""The MCP tools are walled like their REST twins: burndown like GET /status/burndown.json,
incidents like GET /incidents (a key bound to tenants: refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from symphony.errors import ForbiddenError
from symphony.mcp.caller import Caller
from symphony.mcp.tools import IncidentArgs, NoArgs, burndown, incidents
from symphony.security.keys import ApiKey
from symphony.services import Services
from symphony.windows.usage import UsageEvent


def key(tenants: tuple[str, ...]) -> ApiKey:
    return ApiKey("key_x", "k", "client", tenants, datetime(2026, 11, 22, tzinfo=UTC), None, "x")


async def test_a_tenant_bound_caller_sees_only_its_tenants_usage(services: Services) -> None:
    model = services.policy.snapshot.models[0].name
    at = services.clock.now() - timedelta(seconds=5)
    services.windows.index.add(UsageEvent(at=at, model=model, tenant="default", cost_usd=1.0))
    services.windows.index.add(UsageEvent(at=at, model=model, tenant="other", cost_usd=0.5))
    everyone = await burndown(services, Caller(None), NoArgs())
    assert everyone["windows"]["h1"][model]["cost_usd"] == 1.5
    walled = await burndown(services, Caller(key(("default",))), NoArgs())
    assert walled["windows"]["h1"][model]["cost_usd"] == 1.0
    assert await burndown(services, Caller(key(("nobody",))), NoArgs()) != everyone


async def test_incidents_describe_the_whole_service(services: Services) -> None:
    with pytest.raises(ForbiddenError, match="tool 'incidents' reaches every tenant"):
        await incidents(services, Caller(key(("acme",))), IncidentArgs())
    for caller in (Caller(None), Caller(key(()))):  # unbound, or a client created with none
        assert (await incidents(services, caller, IncidentArgs()))["items"] == []
