"""PagerDuty Events API v2: 202 with dedup_key; resolve with the same routing and dedup key."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from symphony.clock import FixedClock
from symphony.integrations.base import IntegrationError, PageEvent
from symphony.integrations.fake_http import Fault
from symphony.integrations.fakes import FakeStack
from symphony.integrations.pagerduty.client import PagerDutyClient
from symphony.integrations.pagerduty.config import DEFAULT_EVENTS_URL, PagerDutyConfig
from symphony.integrations.pagerduty.service import PagerDutyPaging
from symphony.integrations.registry import Integrations

EVENT = PageEvent(
    dedup_key="symphony:slo:execute-latency",
    summary="SLO execute-latency burning 16x (page)",
    severity="critical",
    component="router",
    details={"p95_ms": "7200"},
    links=(("GitHub #7", "https://github.com/acme/tower/issues/7"),),
)


@respx.mock
async def test_trigger_wire_format(clock: FixedClock) -> None:
    route = respx.post(DEFAULT_EVENTS_URL).mock(
        return_value=httpx.Response(
            202,
            json={
                "status": "success",
                "message": "Event processed",
                "dedup_key": "symphony:slo:execute-latency",
            },
        )
    )
    async with httpx.AsyncClient() as http:
        paging = PagerDutyPaging(PagerDutyClient(PagerDutyConfig("K" * 32), http, clock))
        assert await paging.trigger(EVENT) == "symphony:slo:execute-latency"
        await paging.resolve("symphony:slo:execute-latency")
    trigger, resolve = (json.loads(c.request.content) for c in route.calls)
    assert trigger == {
        "routing_key": "K" * 32,
        "event_action": "trigger",
        "dedup_key": "symphony:slo:execute-latency",
        "payload": {
            "summary": "SLO execute-latency burning 16x (page)",
            "source": "symphony",
            "severity": "critical",
            "component": "router",
            "custom_details": {"p95_ms": "7200"},
        },
        "client": "Symphony",
        "links": [{"href": "https://github.com/acme/tower/issues/7", "text": "GitHub #7"}],
    }
    assert resolve == {
        "routing_key": "K" * 32,
        "event_action": "resolve",
        "dedup_key": "symphony:slo:execute-latency",
    }


async def test_trigger_then_resolve_closes_the_same_alert(
    integrations: Integrations, stack: FakeStack
) -> None:
    paging = integrations.paging["pagerduty"]
    key = await paging.trigger(EVENT)
    assert await paging.trigger(EVENT) == key  # a retried trigger updates the same alert
    routing = stack.pagerduty.routing_keys[0]
    assert stack.pagerduty.alerts == {(routing, key): "triggered"}
    await paging.resolve(key)
    assert stack.pagerduty.alerts == {(routing, key): "resolved"}


async def test_failures(integrations: Integrations, stack: FakeStack) -> None:
    paging = integrations.paging["pagerduty"]
    stack.pagerduty.fail_next(Fault(status=429, body="", headers={}))
    with pytest.raises(IntegrationError) as err:
        await paging.trigger(EVENT)
    assert (err.value.status, err.value.retryable) == (429, True)
    with pytest.raises(IntegrationError) as err:
        await paging.trigger(PageEvent("k", "", "critical"))
    assert (err.value.status, err.value.retryable) == (400, False)
    assert "payload.summary" in str(err.value)
    assert "Event object is invalid" in str(err.value)
    stack.pagerduty.routing_keys = ("another",)
    with pytest.raises(IntegrationError) as err:
        await paging.resolve("k")
    assert "'routing_key' is invalid" in str(err.value)
