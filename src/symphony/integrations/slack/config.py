"""Slack settings from the environment: SLACK_WEBHOOK_URL (a secret: the URL is the key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from symphony.integrations.base import IntegrationStatus
from symphony.integrations.env import env_value, why_off


@dataclass(frozen=True, slots=True)
class SlackConfig:
    webhook_url: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SlackConfig:
        return cls(webhook_url=env_value(environ, "SLACK_WEBHOOK_URL"))

    @property
    def why_off(self) -> str | None:
        if not self.webhook_url:
            return why_off(["SLACK_WEBHOOK_URL"])
        if not self.webhook_url.startswith(("https://", "http://")):
            return "SLACK_WEBHOOK_URL is not an http(s) URL"
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    def status(self) -> IntegrationStatus:
        host = urlsplit(self.webhook_url).hostname if self.webhook_url else None
        return IntegrationStatus("slack", self.enabled, self.why_off, host)
