"""PagerDuty Events API v2 wire call: POST an event, expect 202 with the dedup_key."""

from __future__ import annotations

from typing import Any

import httpx

from symphony.clock import Clock
from symphony.integrations.http import send
from symphony.integrations.pagerduty.config import PagerDutyConfig


class PagerDutyClient:
    def __init__(self, config: PagerDutyConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if not config.enabled:
            raise ValueError(f"PagerDuty is off: {config.why_off}")
        self.config = config
        self.http = http
        self.clock = clock

    async def enqueue(self, event: dict[str, Any]) -> str:
        """Send one event (routing_key added here); return the dedup_key PagerDuty used."""
        body = {"routing_key": self.config.routing_key, **event}
        response = await send(
            self.http,
            self.clock,
            "pagerduty",
            str(event.get("event_action", "event")),
            "POST",
            self.config.events_url,
            expect=(202,),
            json_body=body,
        )
        reply: dict[str, Any] = response.json()
        return str(reply.get("dedup_key") or event.get("dedup_key") or "")
