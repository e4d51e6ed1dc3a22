"""Defaults, routing rules, the overrides schema and tenants."""

from __future__ import annotations

from croniter import croniter

from symphony.policy.fields import Fields
from symphony.policy.model import (
    BudgetLimits,
    Budgets,
    Defaults,
    OverridesSchema,
    PowerWindow,
    RouteSpec,
    RoutingRule,
    Tenant,
)
from symphony.policy.parse_models import check_zone, duration_at
from symphony.policy.problems import Path, Problems


def parse_defaults(problems: Problems, raw: object, path: Path) -> Defaults:
    f = Fields(
        problems,
        raw,
        path,
        ("stream", "reserve_fraction", "max_sla_ms", "timezone", "timeout_s"),
    )
    tz = f.string("timezone", "America/Denver") or "America/Denver"
    if not check_zone(problems, f.at("timezone"), tz):
        tz = "America/Denver"
    return Defaults(
        stream=f.boolean("stream", True),
        reserve_fraction=f.number("reserve_fraction", 0.20, maximum=1.0) or 0.0,
        max_sla_ms=f.integer("max_sla_ms", 6000, minimum=1) or 6000,
        timezone=tz,
        # The overall deadline of one execution (the service's default when absent).
        timeout_s=f.number("timeout_s", None, minimum=0.1, maximum=3600.0),
    )


def parse_rule(problems: Problems, raw: object, path: Path, index: int) -> RoutingRule | None:
    f = Fields(problems, raw, path, ("name", "match", "route"))
    if not f.ok:
        return None
    match = Fields(problems, f.raw("match"), f.at("match"), ("task", "loa", "tenant"))
    route = Fields(
        problems,
        f.raw("route"),
        f.at("route"),
        ("prefer", "fallback", "max_cost_usd", "stream", "context_budget_tokens", "slo_ms"),
    )
    task = match.string("task")
    loa = match.integer("loa")
    name = f.string("name") or f"rule[{index}]" + (f" {task}" if task else "")
    return RoutingRule(
        name=name,
        task=task,
        loa=loa,
        tenant=match.string("tenant"),
        route=RouteSpec(
            prefer=route.strings("prefer"),
            fallback=route.strings("fallback"),
            max_cost_usd=route.number("max_cost_usd"),
            stream=route.boolean("stream", True) if route.has("stream") else None,
            context_budget_tokens=route.integer("context_budget_tokens", minimum=1),
            slo_ms=route.integer("slo_ms", minimum=1),
        ),
    )


def parse_overrides_schema(problems: Problems, raw: object, path: Path) -> OverridesSchema:
    base = OverridesSchema()
    if raw is None:
        return base
    allowed = (
        "tokens_max",
        "context_budget_tokens",
        "temperature",
        "streaming",
        "tools_allowed",
        "cost_ceiling_usd",
        "provider_hints",
    )
    f = Fields(problems, raw, path, allowed)
    temp_min, temp_max = base.temperature_min, base.temperature_max
    temperature = f.raw("temperature")
    if isinstance(temperature, dict):
        t = Fields(problems, temperature, f.at("temperature"), ("min", "max"))
        temp_min = t.number("min", temp_min) or 0.0
        temp_max = t.number("max", temp_max) or temp_max
        if temp_min > temp_max:
            problems.add(f.at("temperature"), f"min {temp_min} is above max {temp_max}")
    tokens_max = base.tokens_max_limit
    if isinstance(f.raw("tokens_max"), dict):
        tokens_max = (
            Fields(problems, f.raw("tokens_max"), f.at("tokens_max"), ("max",)).integer(
                "max", tokens_max
            )
            or tokens_max
        )
    return OverridesSchema(
        temperature_min=temp_min,
        temperature_max=temp_max,
        tokens_max_limit=tokens_max,
        tools_allowed=f.strings("tools_allowed") or base.tools_allowed,
        provider_hints=f.strings("provider_hints") or base.provider_hints,
    )


def parse_power_window(problems: Problems, raw: object, path: Path) -> PowerWindow | None:
    f = Fields(
        problems,
        raw,
        path,
        ("model", "when_cron", "duration", "tz", "max_usd_per_window", "rpm_cap"),
    )
    if not f.ok:
        return None
    model = f.string("model", required=True) or ""
    cron = f.string("when_cron", required=True) or ""
    if cron and not croniter.is_valid(cron):
        problems.add(f.at("when_cron"), f"invalid cron expression '{cron}'")
    duration = duration_at(problems, f.at("duration"), f.raw("duration") or "1h")
    tz = f.string("tz")
    if tz is not None:
        check_zone(problems, f.at("tz"), tz)
    return PowerWindow(
        model=model,
        when_cron=cron,
        duration=duration if duration is not None else duration_at(problems, (), "1h"),
        tz=tz,
        max_usd_per_window=f.number("max_usd_per_window"),
        rpm_cap=f.integer("rpm_cap", minimum=0),
    )


def parse_tenant(problems: Problems, name: str, raw: object, path: Path) -> Tenant:
    f = Fields(
        problems,
        raw,
        path,
        ("loa_max", "context_tokens_max", "allow_models", "power_windows", "budgets", "guards"),
    )
    windows_raw = f.raw("power_windows") or []
    windows: list[PowerWindow] = []
    if not isinstance(windows_raw, list):
        problems.add(f.at("power_windows"), "expected a list")
    else:
        for i, item in enumerate(windows_raw):
            pw = parse_power_window(problems, item, (*f.at("power_windows"), i))
            if pw is not None:
                windows.append(pw)
    budgets = parse_budgets(problems, f.raw("budgets"), f.at("budgets"))
    return Tenant(
        name=name,
        loa_max=f.integer("loa_max", 2) or 0,
        context_tokens_max=f.integer("context_tokens_max", minimum=1),
        allow_models=f.strings("allow_models"),
        power_windows=tuple(windows),
        budgets=budgets,
    )


LIMIT_KEYS = ("daily_usd", "monthly_usd", "daily_tokens", "monthly_tokens")


def _limits(f: Fields) -> BudgetLimits:
    return BudgetLimits(
        daily_usd=f.number("daily_usd"),
        monthly_usd=f.number("monthly_usd"),
        daily_tokens=f.integer("daily_tokens"),
        monthly_tokens=f.integer("monthly_tokens"),
    )


def parse_budgets(problems: Problems, raw: object, path: Path) -> Budgets:
    """`budgets: {daily_usd, monthly_usd, daily_tokens, monthly_tokens, providers: {<provider>:
    {the same four}}}`."""
    f = Fields(problems, raw, path, (*LIMIT_KEYS, "providers"))
    top = _limits(f)
    providers: list[tuple[str, BudgetLimits]] = []
    raw_providers = f.raw("providers")
    if raw_providers is not None and not isinstance(raw_providers, dict):
        problems.add(f.at("providers"), "expected a mapping of provider -> limits")
    elif isinstance(raw_providers, dict):
        for name, limits in raw_providers.items():
            at = (*f.at("providers"), str(name))
            providers.append((str(name), _limits(Fields(problems, limits, at, LIMIT_KEYS))))
    return Budgets(
        daily_usd=top.daily_usd,
        monthly_usd=top.monthly_usd,
        daily_tokens=top.daily_tokens,
        monthly_tokens=top.monthly_tokens,
        providers=tuple(providers),
    )
