"""policy.slos[]: service level objectives with their multi-window burn-rate tables."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import get_args

from symphony.policy.fields import Fields
from symphony.policy.model import (
    DEFAULT_BURN_WINDOWS,
    BurnWindow,
    Defaults,
    RoutingRule,
    SloKind,
    SloScope,
    SloSeverity,
    SloSpec,
)
from symphony.policy.parse_models import duration_at
from symphony.policy.problems import Path, Problems

SLO_KEYS = (
    "name",
    "kind",
    "objective",
    "threshold_ms",
    "period",
    "scope",
    "windows",
    "reopen_within",
    "description",
)
KINDS: tuple[SloKind, ...] = get_args(SloKind)
SEVERITIES: tuple[SloSeverity, ...] = get_args(SloSeverity)
# SLO names become Prometheus label values, rule names and URL anchors: keep them plain.
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
DEFAULT_PERIOD = timedelta(days=30)


def _objective(problems: Problems, f: Fields) -> float | None:
    value = f.raw("objective")
    if value is None:
        problems.add(f.at("objective"), "is required (share of good events, e.g. 0.995)")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(f.at("objective"), f"expected a number such as 0.995, got {value!r}")
        return None
    if 1 < value <= 100:
        problems.add(
            f.at("objective"),
            f"{value} looks like a percentage; write the share of good events ({value / 100:g})",
        )
        return None
    if not 0 < value < 1:
        problems.add(f.at("objective"), f"must be between 0 and 1 (exclusive), got {value}")
        return None
    return float(value)


def _window(problems: Problems, raw: object, path: Path, period: timedelta) -> BurnWindow | None:
    f = Fields(problems, raw, path, ("severity", "long", "short", "factor"))
    if not f.ok:
        if raw is None:
            problems.add(path, "expected a mapping with severity, long, short, factor")
        return None
    severity = f.choice("severity", SEVERITIES, "page")
    if not f.has("severity"):
        problems.add(f.at("severity"), "is required (page or ticket)")
    long = duration_at(problems, f.at("long"), f.raw("long")) if f.has("long") else None
    short = duration_at(problems, f.at("short"), f.raw("short")) if f.has("short") else None
    for key, value in (("long", long), ("short", short)):
        if not f.has(key):
            problems.add(f.at(key), "is required (a duration such as 1h, 5m or 30s)")
        elif value is not None and value.total_seconds() != int(value.total_seconds()):
            problems.add(f.at(key), "must be whole seconds (Prometheus range selectors)")
    factor = f.number("factor")
    if factor is None and not f.has("factor"):
        problems.add(f.at("factor"), "is required (burn-rate factor, e.g. 14.4)")
    elif factor is not None and factor <= 0:
        problems.add(f.at("factor"), f"must be above 0, got {factor:g}")
        factor = None
    if long is None or short is None or factor is None:
        return None
    if short >= long:
        problems.add(f.at("short"), "the short window must be shorter than the long window")
        return None
    if long > period:
        problems.add(f.at("long"), "the long window must not be longer than the SLO period")
        return None
    return BurnWindow(severity=severity, long=long, short=short, factor=factor)


def _windows(problems: Problems, f: Fields, period: timedelta) -> tuple[BurnWindow, ...]:
    raw = f.raw("windows")
    if raw is None:
        if any(w.long > period for w in DEFAULT_BURN_WINDOWS):
            problems.add(
                f.at("period"),
                "is shorter than the default 3d burn window; give this SLO its own windows",
            )
        return DEFAULT_BURN_WINDOWS
    if not isinstance(raw, list) or not raw:
        problems.add(
            f.at("windows"), "expected a non-empty list of {severity, long, short, factor}"
        )
        return DEFAULT_BURN_WINDOWS
    rows = [_window(problems, item, (*f.at("windows"), i), period) for i, item in enumerate(raw)]
    return tuple(r for r in rows if r is not None)


def _check_reachable(
    problems: Problems, f: Fields, objective: float, windows: tuple[BurnWindow, ...]
) -> None:
    """A row whose error-ratio threshold (factor x budget) is 1 or more can never fire."""
    budget = round(1 - objective, 12)
    explicit = f.has("windows")
    for i, row in enumerate(windows):
        if row.factor * budget < 1:
            continue
        limit = f"{row.factor:g} x {budget:g} = {row.factor * budget:.4g}"
        if explicit:
            problems.add(
                (*f.at("windows"), i, "factor"),
                f"can never fire: factor x (1 - objective) = {limit} is not below 1",
            )
        else:
            problems.add(
                f.at("objective"),
                f"the default {row.severity} row ({row.factor:g}x) can never fire:"
                f" {limit} is not below 1; raise the objective or give windows",
            )
            return


def _threshold(
    problems: Problems,
    f: Fields,
    kind: SloKind,
    scope: SloScope,
    rules: dict[str, RoutingRule],
    defaults: Defaults,
) -> int | None:
    explicit = f.integer("threshold_ms", minimum=1)
    if kind == "availability":
        if f.has("threshold_ms"):
            problems.add(f.at("threshold_ms"), "only latency SLOs have a threshold")
        return None
    if explicit is not None:
        return explicit
    rule = rules.get(scope.rule) if scope.rule is not None else None
    if rule is not None and rule.route.slo_ms is not None:
        return rule.route.slo_ms
    return defaults.max_sla_ms


def parse_slo(
    problems: Problems,
    raw: object,
    path: Path,
    *,
    defaults: Defaults,
    rules: dict[str, RoutingRule],
    models: set[str],
) -> SloSpec | None:
    """One SLO entry; the latency threshold defaults to the rule's slo_ms, then max_sla_ms."""
    f = Fields(problems, raw, path, SLO_KEYS)
    if not f.ok:
        if raw is None:
            problems.add(path, "expected a mapping with name, kind and objective")
        return None
    name = f.string("name", required=True) or ""
    if name and not NAME.match(name):
        problems.add(
            f.at("name"),
            f"'{name}' must be lower-case letters, digits, '.', '_' or '-' (max 63 characters)",
        )
    if not f.has("kind"):
        problems.add(f.at("kind"), "is required (latency or availability)")
    kind = f.choice("kind", KINDS, "latency")
    objective = _objective(problems, f)
    period = (
        duration_at(problems, f.at("period"), f.raw("period")) if f.has("period") else None
    ) or DEFAULT_PERIOD
    scope_f = Fields(problems, f.raw("scope"), f.at("scope"), ("model", "rule"))
    scope = SloScope(model=scope_f.string("model"), rule=scope_f.string("rule"))
    if scope.model is not None and scope.model not in models:
        problems.add(scope_f.at("model"), f"unknown model '{scope.model}'")
    if scope.rule is not None and scope.rule not in rules:
        problems.add(scope_f.at("rule"), f"unknown routing rule '{scope.rule}'")
    reopen = (
        duration_at(problems, f.at("reopen_within"), f.raw("reopen_within"))
        if f.has("reopen_within")
        else None
    )
    windows = _windows(problems, f, period)
    if objective is not None:
        _check_reachable(problems, f, objective, windows)
    threshold = _threshold(problems, f, kind, scope, rules, defaults)
    if not name or objective is None or not NAME.match(name):
        return None
    return SloSpec(
        name=name,
        kind=kind,
        objective=objective,
        period=period,
        windows=windows,
        threshold_ms=threshold,
        scope=scope,
        reopen_within=reopen,
        description=f.string("description"),
    )


def parse_slos(
    problems: Problems,
    raw: object,
    path: Path,
    *,
    defaults: Defaults,
    rules: list[RoutingRule],
    models: set[str],
) -> tuple[SloSpec, ...]:
    """policy.slos: a list of SLOs with unique names."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, "expected a list of SLOs")
        return ()
    by_rule = {rule.name: rule for rule in rules}
    slos: list[SloSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        slo = parse_slo(
            problems, item, (*path, index), defaults=defaults, rules=by_rule, models=models
        )
        if slo is None:
            continue
        if slo.name in seen:
            problems.add((*path, index, "name"), f"duplicate SLO '{slo.name}'")
            continue
        seen.add(slo.name)
        slos.append(slo)
    return tuple(slos)
