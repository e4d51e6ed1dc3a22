"""PagerDuty settings from the environment: PAGERDUTY_ROUTING_KEY, PAGERDUTY_EVENTS_URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from symphony.integrations.base import IntegrationStatus
from symphony.integrations.env import env_value, why_off

DEFAULT_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


@dataclass(frozen=True, slots=True)
class PagerDutyConfig:
    routing_key: str | None = field(default=None, repr=False)
    events_url: str = DEFAULT_EVENTS_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PagerDutyConfig:
        return cls(
            routing_key=env_value(environ, "PAGERDUTY_ROUTING_KEY"),
            events_url=env_value(environ, "PAGERDUTY_EVENTS_URL") or DEFAULT_EVENTS_URL,
        )

    @property
    def why_off(self) -> str | None:
        if not self.routing_key:
            return why_off(["PAGERDUTY_ROUTING_KEY"])
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    def status(self) -> IntegrationStatus:
        return IntegrationStatus("pagerduty", self.enabled, self.why_off, self.events_url)
