"""The validated, frozen policy snapshot every request reads once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Literal

QuotaUnit = Literal["messages", "requests", "tokens", "usd"]
CapSource = Literal["configured", "from_console", "from_headers", "unknown"]
ModelClass = Literal["local", "hosted"]
Protocol = Literal["openai", "anthropic", "gemini"]
DriftAction = Literal["shift_to_next_reset", "phase_lock"]


@dataclass(frozen=True, slots=True)
class RollingQuota:
    window: timedelta
    anchor: Literal["sliding", "first_use"] = "sliding"
    align: Literal["none", "hour"] = "none"
    unit: QuotaUnit = "messages"
    cap: int | None = None
    cap_source: CapSource = "configured"
    weekly_cap: int | None = None
    weekly_tracked: bool = False
    type: Literal["rolling"] = "rolling"


@dataclass(frozen=True, slots=True)
class FixedQuota:
    period: Literal["daily", "weekly", "monthly"] = "daily"
    tz: str = "UTC"
    at: time = time(0, 0)
    rpd: int | None = None
    tpd: int | None = None
    cap_source: CapSource = "configured"
    unit: QuotaUnit = "requests"
    type: Literal["fixed"] = "fixed"


@dataclass(frozen=True, slots=True)
class FixedEveryQuota:
    period: timedelta
    unit: QuotaUnit = "requests"
    cap: int | None = None
    type: Literal["fixed_every"] = "fixed_every"


@dataclass(frozen=True, slots=True)
class HeaderDrivenQuota:
    unit: QuotaUnit = "requests"
    type: Literal["header_driven"] = "header_driven"


@dataclass(frozen=True, slots=True)
class DynamicQuota:
    unit: QuotaUnit = "requests"
    type: Literal["dynamic"] = "dynamic"


Quota = RollingQuota | FixedQuota | FixedEveryQuota | HeaderDrivenQuota | DynamicQuota


@dataclass(frozen=True, slots=True)
class Endpoint:
    protocol: Protocol
    base_url: str
    model: str
    api_key_env: str | None = None


@dataclass(frozen=True, slots=True)
class Price:
    """USD per one million tokens."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1_000_000


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    provider: str
    model_class: ModelClass
    quota: Quota
    endpoint: Endpoint | None = None
    allow_tasks: tuple[str, ...] = ()  # empty: every task
    loa_max: int = 2
    price: Price | None = None
    context_window: int | None = None
    reserve_fraction: float | None = None
    latency_hint_ms: float | None = None

    @property
    def executable(self) -> bool:
        return self.endpoint is not None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    prefer: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()
    max_cost_usd: float | None = None
    stream: bool | None = None
    context_budget_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class RoutingRule:
    name: str
    task: str | None
    loa: int | None
    tenant: str | None
    route: RouteSpec

    def matches(self, task: str, loa: int, tenant: str) -> bool:
        return (
            (self.task is None or self.task == task)
            and (self.loa is None or self.loa == loa)
            and (self.tenant is None or self.tenant == tenant)
        )


@dataclass(frozen=True, slots=True)
class OverridesSchema:
    """Bounds for per-work-unit overrides (the seed's work_unit_overrides_schema)."""

    temperature_min: float = 0.0
    temperature_max: float = 1.5
    tokens_max_limit: int = 1_000_000
    context_budget_limit: int = 2_000_000
    tools_allowed: tuple[str, ...] = ("browser", "code", "graph")
    provider_hints: tuple[str, ...] = (
        "openai",
        "anthropic",
        "google",
        "xai",
        "perplexity",
        "venice",
        "deepseek",
        "local",
    )


@dataclass(frozen=True, slots=True)
class PowerWindow:
    model: str
    when_cron: str
    duration: timedelta
    tz: str | None = None
    max_usd_per_window: float | None = None
    rpm_cap: int | None = None


@dataclass(frozen=True, slots=True)
class Budgets:
    daily_usd: float | None = None
    monthly_usd: float | None = None


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    loa_max: int = 2
    context_tokens_max: int | None = None
    allow_models: tuple[str, ...] = ()  # empty: every model
    power_windows: tuple[PowerWindow, ...] = ()
    budgets: Budgets = field(default_factory=Budgets)

    def allows(self, model: str) -> bool:
        return not self.allow_models or model in self.allow_models


@dataclass(frozen=True, slots=True)
class ScheduleSlot:
    days: frozenset[int]  # 0 = Monday
    at: time
    duration: timedelta


@dataclass(frozen=True, slots=True)
class ModelSchedule:
    key: str  # the windows-file key (e.g. "claude_pro")
    model: str  # the policy model it belongs to
    tz: str
    slots: tuple[ScheduleSlot, ...] = ()
    detector: str | None = None
    action: DriftAction | None = None


@dataclass(frozen=True, slots=True)
class Defaults:
    stream: bool = True
    reserve_fraction: float = 0.20
    max_sla_ms: int = 6000
    timezone: str = "America/Denver"


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    version: str  # content hash of the files it was built from
    declared_version: str | None
    defaults: Defaults
    models: tuple[ModelSpec, ...]
    routing_rules: tuple[RoutingRule, ...]
    overrides_schema: OverridesSchema
    tenants: Mapping[str, Tenant]
    schedules: Mapping[str, ModelSchedule]  # by policy model name
    files: tuple[str, ...] = ()
    models_by_name: Mapping[str, ModelSpec] = field(default_factory=dict)

    def model(self, name: str) -> ModelSpec | None:
        return self.models_by_name.get(name)

    def rule_for(self, task: str, loa: int, tenant: str) -> RoutingRule | None:
        """First matching rule; tenant-specific rules win over general ones."""
        general: RoutingRule | None = None
        for rule in self.routing_rules:
            if rule.matches(task, loa, tenant):
                if rule.tenant is not None:
                    return rule
                general = general or rule
        return general

    def reserve_fraction(self, model: ModelSpec) -> float:
        if model.reserve_fraction is not None:
            return model.reserve_fraction
        return self.defaults.reserve_fraction
