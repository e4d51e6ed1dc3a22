"""GET /status/health.json and /status/burndown.json (api/status.py, execute/planning.py)."""

from __future__ import annotations

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire, absent
from symphony.api.contracts.incidents import IntegrationState


class ServiceHealth(Wire):
    """One upstream's last probe: up only when it answers as a healthy one of its protocol."""

    ok: bool
    latency_ms: float | None
    checked_at: Instant | None
    base_url: str | None
    status: int | None = absent("the probe's HTTP status, when the upstream answered")
    error: str | None = absent("why the upstream counts as down")


class StoreHealth(Wire):
    ok: bool


class BackendHealth(Wire):
    """A shared store's last ping (SYMPHONY_REDIS_URL, SYMPHONY_DATABASE_URL)."""

    ok: bool
    where: str = Field(description="the backend's URL without its password")
    error: str | None = Field(description="why it counts as down (None when it answered)")
    checked_at: float | None = Field(description="Unix time of the last ping")


class Health(Wire):
    """Upstreams by base URL key, the policy and the store (answered from cache)."""

    services: dict[str, ServiceHealth]
    policy_loaded: bool
    policy_version: str | None
    store: StoreHealth
    backends: dict[str, BackendHealth] = Field(
        default_factory=dict,
        description="shared stores by kind (redis, postgresql); empty when embedded",
    )
    generated_at: Instant
    integrations: list[IntegrationState] | None = absent(
        "GitHub, Jira, Slack, PagerDuty: on or off and why (no secrets)"
    )
    simulator: str | None = absent(
        "demo mode only: the base URL of the in-process provider simulator (`symphony drill`"
        " injects its faults there)"
    )


class BurndownRow(Wire):
    requests: int
    tokens: int
    cost_usd: float
    cap: float | None
    remaining: float | None


class BurndownWindows(Wire):
    """Per model, over the last minute (`m1`), hour (`h1`) and day (`d1`)."""

    m1: dict[str, BurndownRow]
    h1: dict[str, BurndownRow]
    d1: dict[str, BurndownRow]


class Burndown(Wire):
    generated_at: Instant
    windows: BurndownWindows = Field(description="per window span, per model")
