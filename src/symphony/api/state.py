"""Everything the routes need, built once by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symphony.clock import Clock
from symphony.events.bus import EventBus
from symphony.execute.planning import PlanningService
from symphony.metrics.registry import Metrics
from symphony.policy.store import PolicyStore
from symphony.providers.credentials import Credentials
from symphony.routing.stats import LatencyStats
from symphony.settings import Settings
from symphony.windows.ledger import UsageStore
from symphony.windows.service import WindowService


@dataclass
class AppState:
    settings: Settings
    clock: Clock
    policy: PolicyStore
    usage_store: UsageStore
    windows: WindowService
    stats: LatencyStats
    bus: EventBus
    metrics: Metrics
    credentials: Credentials
    planning: PlanningService
    health: dict[str, dict[str, Any]] = field(default_factory=dict)
    extras: dict[str, Any] = field(
        default_factory=dict
    )  # optional subsystems (executor, audit, keys…)
