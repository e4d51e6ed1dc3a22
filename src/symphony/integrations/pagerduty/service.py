"""Paging through PagerDuty: a deterministic dedup_key, so a retried trigger updates the
same alert and the resolve (same routing key, same dedup_key) closes it."""

from __future__ import annotations

from typing import Any

from symphony.integrations.base import PageEvent
from symphony.integrations.pagerduty.client import PagerDutyClient

MAX_DEDUP = 255
MAX_SUMMARY = 1024


class PagerDutyPaging:
    vendor = "pagerduty"

    def __init__(self, client: PagerDutyClient) -> None:
        self.client = client

    async def trigger(self, event: PageEvent) -> str:
        payload: dict[str, Any] = {
            "summary": event.summary[:MAX_SUMMARY],
            "source": event.source,
            "severity": event.severity,
        }
        if event.component:
            payload["component"] = event.component
        if event.details:
            payload["custom_details"] = dict(event.details)
        body: dict[str, Any] = {
            "event_action": "trigger",
            "dedup_key": event.dedup_key[:MAX_DEDUP],
            "payload": payload,
            "client": "Symphony",
        }
        if event.links:
            body["links"] = [{"href": url, "text": label} for label, url in event.links]
        return await self.client.enqueue(body)

    async def resolve(self, dedup_key: str) -> None:
        await self.client.enqueue({"event_action": "resolve", "dedup_key": dedup_key[:MAX_DEDUP]})
