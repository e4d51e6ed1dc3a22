"""The validated, frozen policy snapshot every request reads once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from symphony.policy.web import WebPolicy
from symphony.windows.specs import (
    CapSource,
    DriftAction,
    DynamicQuota,
    FixedEveryQuota,
    FixedQuota,
    HeaderDrivenQuota,
    ModelSchedule,
    PowerWindow,
    Quota,
    QuotaUnit,
    RollingQuota,
    ScheduleSlot,
    WindowInputs,
)

__all__ = [
    "DEFAULT_BURN_WINDOWS",
    "BudgetLimits",
    "Budgets",
    "BurnWindow",
    "CapSource",
    "Capability",
    "Defaults",
    "DriftAction",
    "DynamicQuota",
    "Endpoint",
    "FixedEveryQuota",
    "FixedQuota",
    "HeaderDrivenQuota",
    "MaxTokensParam",
    "ModelClass",
    "ModelKind",
    "ModelSchedule",
    "ModelSpec",
    "OverridesSchema",
    "PolicySnapshot",
    "PowerWindow",
    "Price",
    "Protocol",
    "Quota",
    "QuotaUnit",
    "RollingQuota",
    "RouteSpec",
    "RoutingRule",
    "ScheduleSlot",
    "SloKind",
    "SloScope",
    "SloSeverity",
    "SloSpec",
    "Tenant",
]

ModelClass = Literal["local", "hosted"]
Protocol = Literal["openai", "anthropic", "gemini"]
ModelKind = Literal["chat", "embedding"]
# What a request may need of a model beyond text chat (policy `capabilities: [...]`).
Capability = Literal["tools", "vision", "audio", "json_object", "json_schema"]
MaxTokensParam = Literal["max_tokens", "max_completion_tokens"]


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
    kind: ModelKind = "chat"
    # None: not declared, so not restricted (the upstream decides); see docs/policy.md.
    capabilities: tuple[Capability, ...] | None = None
    max_tokens: int | None = None  # sent when the client sends no limit
    max_output_tokens: int | None = None  # the model's output limit: the cost worst case
    max_tokens_param: MaxTokensParam | None = None  # the field an OpenAI upstream wants

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
    slo_ms: int | None = None  # latency target; feeds a latency SLO scoped to this rule


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


BudgetPeriod = Literal["daily", "monthly"]
BudgetUnit = Literal["usd", "tokens"]


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """Spend limits over the policy timezone's day and month (None: no limit)."""

    daily_usd: float | None = None
    monthly_usd: float | None = None
    daily_tokens: int | None = None
    monthly_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Budgets(BudgetLimits):
    """A tenant's budgets: its total on hosted models, and per provider (its models' total).

    `limits` lists every configured limit as (provider or None, period, unit, limit), in
    order: the tenant's, then each provider's (computed once; planning reads it per plan)."""

    providers: tuple[tuple[str, BudgetLimits], ...] = ()
    limits: tuple[tuple[str | None, BudgetPeriod, BudgetUnit, float], ...] = field(
        default=(), compare=False, repr=False
    )

    def __post_init__(self) -> None:
        scopes: list[tuple[str | None, BudgetLimits]] = [(None, self), *self.providers]
        periods: tuple[BudgetPeriod, ...] = ("daily", "monthly")
        units: tuple[BudgetUnit, ...] = ("usd", "tokens")
        found = tuple(
            (provider, period, unit, float(value))
            for provider, limits in scopes
            for period in periods
            for unit in units
            if (value := getattr(limits, f"{period}_{unit}")) is not None
        )
        object.__setattr__(self, "limits", found)


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    loa_max: int = 2
    context_tokens_max: int | None = None
    allow_models: tuple[str, ...] = ()  # empty: every model
    power_windows: tuple[PowerWindow, ...] = ()
    budgets: Budgets = field(default_factory=Budgets)
    _allowed: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Membership is asked for every candidate of every plan: a set, not a tuple scan.
        object.__setattr__(self, "_allowed", frozenset(self.allow_models))

    def allows(self, model: str) -> bool:
        return not self._allowed or model in self._allowed


@dataclass(frozen=True, slots=True)
class Defaults:
    stream: bool = True
    reserve_fraction: float = 0.20
    max_sla_ms: int = 6000
    timezone: str = "America/Denver"
    timeout_s: float | None = None  # overall deadline of one execution; None: the service's


SloKind = Literal["latency", "availability"]
SloSeverity = Literal["page", "ticket"]


@dataclass(frozen=True, slots=True)
class BurnWindow:
    """One row of the multi-window burn-rate table: alert when both windows burn > factor."""

    severity: SloSeverity
    long: timedelta
    short: timedelta
    factor: float


# Google SRE workbook ch. 5 (and Sloth's google-30d table): 2 %, 5 %, 10 %, 10 % of a
# 30-day budget.
DEFAULT_BURN_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("page", timedelta(hours=1), timedelta(minutes=5), 14.4),
    BurnWindow("page", timedelta(hours=6), timedelta(minutes=30), 6.0),
    BurnWindow("ticket", timedelta(days=1), timedelta(hours=2), 3.0),
    BurnWindow("ticket", timedelta(days=3), timedelta(hours=6), 1.0),
)


@dataclass(frozen=True, slots=True)
class SloScope:
    model: str | None = None
    rule: str | None = None

    def matches(self, model: str | None, rule: str | None) -> bool:
        return (self.model is None or self.model == model) and (
            self.rule is None or self.rule == rule
        )


@dataclass(frozen=True, slots=True)
class SloSpec:
    """A service level objective over executes (policy.slos[])."""

    name: str
    kind: SloKind
    objective: float  # share of good events, 0 < objective < 1
    period: timedelta
    windows: tuple[BurnWindow, ...] = DEFAULT_BURN_WINDOWS
    threshold_ms: int | None = None  # latency SLOs: good when latency <= threshold
    scope: SloScope = field(default_factory=SloScope)
    reopen_within: timedelta | None = None
    description: str | None = None

    @property
    def error_budget(self) -> float:
        return round(1.0 - self.objective, 12)  # 1 - 0.9 is 0.09999999999999998

    def is_good(self, latency_ms: float, ok: bool) -> bool | None:
        """Classify one execute; None when this SLO does not count it."""
        if self.kind == "availability":
            return ok
        if not ok:  # failures belong to availability, not latency
            return None
        return latency_ms <= (self.threshold_ms or 0)


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
    slos: tuple[SloSpec, ...] = ()
    models_by_name: Mapping[str, ModelSpec] = field(default_factory=dict)
    web: WebPolicy = field(default_factory=WebPolicy)  # the `web:` section (ingest, evidence)
    # Memo of window_inputs per (model, tenant): the snapshot is immutable, so it is exact.
    _inputs: dict[tuple[str, str], WindowInputs] = field(
        default_factory=dict, compare=False, repr=False
    )

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

    def window_inputs(self, model: str, tenant: str = "default") -> WindowInputs | None:
        """What the window engine needs for one model as seen by one tenant."""
        key = (model, tenant)
        cached = self._inputs.get(key)
        if cached is not None:
            return cached
        spec = self.models_by_name.get(model)
        if spec is None:
            return None
        tenant_spec = self.tenants.get(tenant)
        windows = (
            tuple(w for w in tenant_spec.power_windows if w.model == model) if tenant_spec else ()
        )
        inputs = WindowInputs(
            spec=spec,
            schedule=self.schedules.get(model),
            tenant_windows=windows,
            reserve_fraction=self.reserve_fraction(spec),
            tz=self.defaults.timezone,
        )
        self._inputs[key] = inputs
        return inputs

    def reserve_fraction(self, model: ModelSpec) -> float:
        if model.reserve_fraction is not None:
            return model.reserve_fraction
        return self.defaults.reserve_fraction
