"""The MCP burndown tool is walled like GET /status/burndown.json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from symphony.mcp.caller import Caller
from symphony.mcp.tools import NoArgs, burndown
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
