"""Slack incoming-webhook wire call: POST JSON, expect 200 with the text `ok`."""

from __future__ import annotations

from typing import Any

import httpx

from symphony.clock import Clock
from symphony.integrations.base import IntegrationError
from symphony.integrations.http import send
from symphony.integrations.slack.config import SlackConfig


class SlackClient:
    def __init__(self, config: SlackConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if not config.enabled:
            raise ValueError(f"Slack is off: {config.why_off}")
        self.config = config
        self.http = http
        self.clock = clock

    async def post(self, payload: dict[str, Any]) -> None:
        """Send one message; the reply is plain text (`ok`), never JSON."""
        response = await send(
            self.http,
            self.clock,
            "slack",
            "post message",
            "POST",
            self.config.webhook_url or "",
            expect=(200,),
            json_body=payload,
        )
        if response.text.strip() != "ok":
            raise IntegrationError(
                "slack", "post message", f"unexpected reply {response.text[:100]!r}", status=200
            )
