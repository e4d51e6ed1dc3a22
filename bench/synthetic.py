"""Synthetic policies and ledgers for the in-process scenarios (planner, window engine)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from symphony.clock import FixedClock
from symphony.policy.loader import load_policy
from symphony.policy.model import PolicySnapshot
from symphony.windows.admission import ReservationBook
from symphony.windows.ledger import EmptyUsageStore
from symphony.windows.service import WindowService
from symphony.windows.state import WindowState
from symphony.windows.usage import UsageEvent, UsageIndex

# A fixed instant (a Wednesday afternoon UTC) so runs compare; the engine is pure.
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)

QUOTAS = (
    "{ type: rolling, window: 3h, anchor: sliding, unit: messages, cap: 160 }",
    "{ type: rolling, window: 5h, anchor: first_use, align: hour, unit: messages, cap: 45,"
    " weekly_cap: 900 }",
    '{ type: fixed, period: daily, tz: America/Los_Angeles, at: "00:00", units: { rpd: 1000 } }',
    "{ type: fixed_every, period: 60s, unit: requests, cap: 50 }",
    "{ type: rolling, window: 24h, anchor: sliding, unit: tokens, cap: 2000000 }",
    "{ type: header_driven, unit: requests }",
    "{ type: dynamic }",
)
TASKS = "[chat, qa, code, writing, analysis]"
BASE_URL = "http://127.0.0.1:9/v1"  # never called: the in-process scenarios do not execute
POWER_WINDOW = (
    'when_cron: "0 18 * * 1-5", tz: UTC, duration: 1h, max_usd_per_window: 0.2, rpm_cap: 2'
)


def model_name(index: int) -> str:
    return f"syn/m{index:04d}"


def policy_yaml(models: int) -> tuple[str, str]:
    """(policy, windows) YAML for `models` models: every quota kind, classes, prices,
    a routing rule, a tenant with power windows; every 10th model has a schedule."""
    lines = [
        "policy:",
        "  version: synthetic",
        "  defaults: { stream: false, reserve_fraction: 0.2, max_sla_ms: 6000,"
        " timezone: America/Denver }",
        "  models:",
    ]
    for i in range(models):
        local = i % 5 == 0
        prompt = 0 if local else 0.15 + (i % 7) * 0.5
        completion = 0 if local else 0.6 + (i % 7)
        lines += [
            f"    - name: {model_name(i)}",
            f"      class: {'local' if local else 'hosted'}",
            f'      endpoint: {{ protocol: openai, base_url: "{BASE_URL}", model: "m{i}" }}',
            f"      quota: {QUOTAS[i % len(QUOTAS)]}",
            f"      loa_max: {2 if i % 3 else 1}",
            "      context_window: 128000",
            f"      price: {{ prompt: {prompt}, completion: {completion} }}",
        ]
        if i % 4 == 1:
            lines.append(f"      allow_tasks: {TASKS}")
    prefer = ", ".join(model_name(i) for i in range(min(2, models)))
    fallback = ", ".join(model_name(i) for i in range(2, min(4, models)))
    lines += [
        "  routing_rules:",
        "    - name: chat-rule",
        "      match: { task: chat, loa: 1 }",
        f"      route: {{ prefer: [{prefer}], fallback: [{fallback}], max_cost_usd: 0.5 }}",
        "tenants:",
        "  default:",
        "    loa_max: 2",
        "    context_tokens_max: 64000",
        "    power_windows:",
        f"      - {{ model: {model_name(min(1, models - 1))}, {POWER_WINDOW} }}",
        "    budgets: { daily_usd: 500.0, monthly_usd: 10000.0 }",
    ]
    windows = ["timezone: America/Denver", "models:"]
    for i in range(0, models, 10):
        windows += [
            f"  sched_{i}:",
            f"    model: {model_name(i)}",
            "    schedule:",
            "      - { days: [Mon, Tue, Wed, Thu, Fri], at: '09:05', duration: '00:25' }",
            "      - { days: [Mon, Tue, Wed, Thu, Fri, Sat, Sun], at: '15:05', duration: '00:25' }",
        ]
    return "\n".join(lines) + "\n", "\n".join(windows) + "\n"


def snapshot(models: int) -> PolicySnapshot:
    policy, windows = policy_yaml(models)
    return load_policy(
        policy,
        policy_name="synthetic.policy.yml",
        windows_text=windows,
        windows_name="synthetic.windows.yml",
    )


def usage(models: int, events: int, *, days: float = 7.0, seed: int = 6) -> UsageIndex:
    """`events` usage events spread uniformly over the `days` before NOW, in time order."""
    rng = random.Random(seed)
    span = days * 86400.0
    offsets = sorted(rng.random() * span for _ in range(events))
    start = NOW - timedelta(days=days)
    index = UsageIndex()
    for offset in offsets:
        index.add(
            UsageEvent(
                at=start + timedelta(seconds=offset),
                model=model_name(rng.randrange(models)),
                prompt_tokens=rng.randrange(10, 2000),
                completion_tokens=rng.randrange(10, 800),
                cost_usd=rng.random() * 0.002,
            )
        )
    return index


_services: dict[int, WindowService] = {}


def service(index: UsageIndex, now: datetime = NOW) -> WindowService:
    """The real WindowService over `index` (one per index, so its caches live on)."""
    found = _services.get(id(index))
    if found is None or found.index is not index:
        clock = FixedClock(now)
        found = WindowService(EmptyUsageStore(), clock, ReservationBook.local(clock))
        found.index = index
        _services[id(index)] = found
    return found


def states(
    snap: PolicySnapshot, index: UsageIndex, now: datetime = NOW, tenant: str = "default"
) -> Mapping[str, WindowState]:
    """Every model's window state, computed by the WindowService as a request does."""
    svc = service(index, now)
    return {spec.name: svc.state(snap, spec.name, now, tenant) for spec in snap.models}
