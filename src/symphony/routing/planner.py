"""The planner: hard filters deny, the rest are ranked by weighted, explained factors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symphony.errors import NoEligibleModelError, UnknownTenantError
from symphony.kit import tokens
from symphony.policy.model import ModelSpec, PolicySnapshot, RoutingRule, Tenant
from symphony.providers.features import refusals
from symphony.routing.budgets import NO_BUDGETS, BudgetLine, denials
from symphony.routing.candidate import Candidate
from symphony.routing.explain import describe
from symphony.routing.request import Controls, PlanRequest
from symphony.routing.stats import CLASS_DEFAULT_MS
from symphony.windows.state import WindowState

# Factor weights (sum 1.0). Rule preference leads; local-first and cost keep spend down.
WEIGHTS = {
    "preference": 0.30,
    "latency": 0.20,
    "cost": 0.15,
    "locality": 0.15,
    "headroom": 0.12,
    "window": 0.08,
}
W_PREFERENCE, W_LATENCY, W_COST = WEIGHTS["preference"], WEIGHTS["latency"], WEIGHTS["cost"]
W_LOCALITY, W_HEADROOM, W_WINDOW = WEIGHTS["locality"], WEIGHTS["headroom"], WEIGHTS["window"]
# Output tokens assumed for the cost worst case when neither the request nor the policy
# gives a limit (the plan says so); never sent upstream.
ASSUMED_OUTPUT_TOKENS = 4096
HINT_ALIASES = {
    "google": {"google", "gemini"},
    "xai": {"xai", "grok"},
    "local": {"local", "ollama", "litellm", "vllm"},
}


@dataclass(frozen=True, slots=True)
class PlanContext:
    snapshot: PolicySnapshot
    states: Mapping[str, WindowState]
    now: datetime
    latency_p95: Callable[[str], float | None] = lambda _m: None
    has_credentials: Callable[[ModelSpec], bool] = lambda _m: True
    killed: Callable[[ModelSpec, str], str | None] = lambda _m, _t: None
    # The tenant's budget lines (routing/budgets.py), read once per plan.
    budgets: Callable[[str], Sequence[BudgetLine]] = lambda _t: NO_BUDGETS


@dataclass(slots=True)
class Plan:
    request: PlanRequest
    policy_version: str
    tenant: Tenant
    controls: Controls
    candidates: list[Candidate]
    primary: Candidate | None
    fallbacks: list[Candidate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "decision": {
                "primary": None if self.primary is None else self.primary.to_dict(),
                "fallbacks": [c.to_dict() for c in self.fallbacks],
            },
            "candidates": [c.to_dict() for c in self.candidates],
            "controls": self.controls.to_dict(),
            "policy": {"tenant": self.tenant.name, "loa_max": self.tenant.loa_max},
        }


def estimate_prompt_tokens(request: PlanRequest) -> int:
    """The request's prompt size in tokens (the one estimator in kit.tokens)."""
    chars = request.prompt_chars if request.prompt_chars is not None else len(request.input)
    return tokens.estimate_prompt_tokens(chars)


def resolve_controls(
    req: PlanRequest, snapshot: PolicySnapshot, tenant: Tenant, rule: RoutingRule | None
) -> Controls:
    o = req.overrides
    route = rule.route if rule else None
    caps = [c for c in (route.max_cost_usd if route else None, o.cost_ceiling_usd) if c is not None]
    stream = (
        o.streaming
        if o.streaming is not None
        else (route.stream if route and route.stream is not None else snapshot.defaults.stream)
    )
    budgets = [
        b
        for b in (
            o.context_budget_tokens,
            route.context_budget_tokens if route else None,
            tenant.context_tokens_max,
        )
        if b is not None
    ]
    return Controls(
        loa=o.loa if o.loa is not None else req.loa,
        allow_hosted=True if o.allow_hosted is None else o.allow_hosted,
        stream=stream,
        max_cost_usd=min(caps) if caps else None,
        context_budget_tokens=min(budgets) if budgets else None,
        tokens_max=o.tokens_max,
        temperature=o.temperature,
        tools_allowed=o.tools_allowed or (),
        provider_hints=o.provider_hints or (),
        rule=rule.name if rule else None,
    )


def completion_budget(
    spec: ModelSpec, tokens_max: int | None, prompt_tokens: int
) -> tuple[int, str]:
    """The most output tokens a call to `spec` may produce, and where that number comes from."""
    if spec.kind == "embedding":
        return 0, ""
    if tokens_max is not None:
        return tokens_max, "the request's max_tokens"
    if spec.max_tokens is not None:
        return spec.max_tokens, "the model's max_tokens default in policy"
    if spec.max_output_tokens is not None:
        return spec.max_output_tokens, "the model's output limit, max_output_tokens"
    if spec.context_window is not None and spec.context_window - prompt_tokens < (
        ASSUMED_OUTPUT_TOKENS
    ):
        room = max(0, spec.context_window - prompt_tokens)
        return room, "what is left of the context window"
    return ASSUMED_OUTPUT_TOKENS, "assumed: no max_tokens or max_output_tokens in policy"


def _needs(c: Candidate, req: PlanRequest) -> None:
    """Deny a candidate that lacks a capability or whose protocol cannot honour a field."""
    spec = c.spec
    declared = spec.capabilities
    if req.requires and declared is not None:
        missing = [cap for cap in req.requires if cap not in declared]
        if missing:
            c.deny.append(
                (
                    "capability_missing",
                    # The code is shown beside the detail everywhere ("capability_missing:
                    # vision (…)"), so the detail does not repeat it.
                    f"{', '.join(missing)} (the model declares {', '.join(declared) or 'none'})",
                )
            )
    if req.fields and spec.endpoint is not None:
        refused = refusals(spec.endpoint.protocol, req.wire, req.fields)
        if refused:
            c.deny.append(
                (
                    "field_unsupported",
                    "; ".join(f"{name}: {why}" for name, why in refused)
                    + f" ({spec.endpoint.protocol} protocol)",
                )
            )


def _hint_matches(spec: ModelSpec, hints: tuple[str, ...]) -> bool:
    names = {spec.provider.lower()}
    if spec.model_class == "local":
        names.add("local")
    return any(names & HINT_ALIASES.get(hint.lower(), {hint.lower()}) for hint in hints)


def _deny(
    c: Candidate,
    ctx: PlanContext,
    req: PlanRequest,
    controls: Controls,
    tenant: Tenant,
    budgets: Sequence[BudgetLine],
) -> None:
    spec, w = c.spec, c.window
    if not tenant.allows(spec.name):
        c.deny.append(
            ("not_allowed_for_tenant", f"tenant '{tenant.name}' does not allow {spec.name}")
        )
    if req.enforce_task and spec.allow_tasks and req.task not in spec.allow_tasks:
        c.deny.append(
            ("task_not_allowed", f"task '{req.task}' not in {', '.join(spec.allow_tasks)}")
        )
    if controls.loa > spec.loa_max or controls.loa > tenant.loa_max:
        c.loa_ok = False
        limit = min(spec.loa_max, tenant.loa_max)
        who = "model" if spec.loa_max <= tenant.loa_max else f"tenant '{tenant.name}'"
        c.deny.append(("loa_exceeds", f"LOA {controls.loa} exceeds the {who} maximum {limit}"))
    if not controls.allow_hosted and spec.model_class == "hosted":
        c.deny.append(("hosted_disallowed", "allow_hosted is false and this model is hosted"))
    if controls.provider_hints and not _hint_matches(spec, controls.provider_hints):
        c.deny.append(
            (
                "provider_hint_mismatch",
                f"provider '{spec.provider}' not in hints {', '.join(controls.provider_hints)}",
            )
        )
    reason = ctx.killed(spec, tenant.name)
    if reason:
        c.deny.append(("killed", reason))
    if spec.endpoint is None:
        c.deny.append(("no_endpoint", "tracked only: no endpoint configured, cannot execute"))
    elif not ctx.has_credentials(spec):
        c.deny.append(("no_credentials", f"env var {spec.endpoint.api_key_env} is not set"))
    if w.cooldown_until is not None:
        c.deny.append(
            ("cooldown", f"cooling down after upstream errors until {w.cooldown_until.isoformat()}")
        )
    if w.remaining is not None and w.remaining <= 0:
        if w.source in ("headers", "learned") and w.kind in ("header_driven", "dynamic"):
            c.deny.append(
                (
                    "window_closed",
                    "upstream reported no capacity; reopens"
                    f" {w.resets_at_local or 'when headers say so'}",
                )
            )
        else:
            c.deny.append(
                (
                    "quota_exhausted",
                    f"{w.label}: {w.to_dict()['used']} of {w.to_dict()['cap']} {w.unit} used;"
                    f" resets {w.resets_at_local}",
                )
            )
    elif w.available is not None and w.available <= 0:
        d = w.to_dict()
        c.deny.append(
            (
                "quota_exhausted",
                f"window full ({w.label}): {d['used']} used + {d['reserved']} reserved by calls"
                f" in flight of {d['cap']} {w.unit}",
            )
        )
    elif w.reserve_hold:
        pct = round((w.remaining_fraction or 0) * 100)
        c.deny.append(
            (
                "reserve_hold",
                f"{pct}% left is inside the"
                f" {round(ctx.snapshot.reserve_fraction(spec) * 100)}% reserve",
            )
        )
    if (
        controls.max_cost_usd is not None
        and c.est_cost_usd is not None
        and c.est_cost_usd > controls.max_cost_usd
    ):
        c.deny.append(
            (
                "over_cost_cap",
                f"estimated ${c.est_cost_usd:.4f} exceeds the cap ${controls.max_cost_usd:.4f}",
            )
        )
    limit = min(
        x for x in (spec.context_window, controls.context_budget_tokens, 10**12) if x is not None
    )
    if c.est_prompt_tokens > limit:
        c.deny.append(
            ("context_too_large", f"~{c.est_prompt_tokens} prompt tokens exceed the limit {limit}")
        )
    _needs(c, req)
    if budgets:
        c.deny.extend(("budget_exhausted", why) for why in denials(budgets, spec))


def _score(c: Candidate, rule: RoutingRule | None) -> None:
    spec, w = c.spec, c.window
    preference = 0.0
    if rule is not None:
        if spec.name in rule.route.prefer:
            preference = 1.0 - 0.15 * rule.route.prefer.index(spec.name)
            c.policy_hits.append(f"rule:{rule.name}:prefer")
        elif spec.name in rule.route.fallback:
            preference = 0.4 - 0.05 * rule.route.fallback.index(spec.name)
            c.policy_hits.append(f"rule:{rule.name}:fallback")
    factors = {
        "preference": W_PREFERENCE * max(preference, 0.0),
        "latency": W_LATENCY / (1.0 + c.est_latency_ms / 1000.0),
        "cost": W_COST / (1.0 + (c.est_cost_usd or 0.0) * 100.0),
        "locality": W_LOCALITY if spec.model_class == "local" else 0.0,
        "headroom": W_HEADROOM
        * (w.remaining_fraction if w.remaining_fraction is not None else 0.75),
        "window": W_WINDOW if w.power_window_open else 0.0,
    }
    c.factors = factors
    c.score = sum(factors.values())


def _tier(name: str, rule: RoutingRule | None) -> int:
    if rule is None:
        return 0
    if name in rule.route.prefer:
        return 0
    if name in rule.route.fallback:
        return 1
    return 2


def plan(req: PlanRequest, ctx: PlanContext) -> Plan:
    """Rank every model the tenant could name; deny with reasons; pick primary + fallbacks."""
    snapshot = ctx.snapshot
    tenant = snapshot.tenants.get(req.tenant)
    if tenant is None:
        raise UnknownTenantError(
            f"unknown tenant '{req.tenant}' (known: {', '.join(sorted(snapshot.tenants))})"
        )
    loa = req.overrides.loa if req.overrides.loa is not None else req.loa
    rule = snapshot.rule_for(req.task, loa, tenant.name)
    controls = resolve_controls(req, snapshot, tenant, rule)
    prompt_tokens = estimate_prompt_tokens(req)
    models = tuple(m for m in snapshot.models if m.kind == req.kind)
    if req.pinned_model is not None:
        models = tuple(m for m in models if m.name == req.pinned_model)
    candidates: list[Candidate] = []
    budgets = ctx.budgets(tenant.name)  # once per plan, not per candidate
    for spec in models:
        observed = ctx.latency_p95(spec.name)
        latency = (
            observed
            if observed is not None
            else (spec.latency_hint_ms or CLASS_DEFAULT_MS[spec.model_class])
        )
        completion_tokens, basis = completion_budget(spec, controls.tokens_max, prompt_tokens)
        cost = spec.price.cost(prompt_tokens, completion_tokens) if spec.price else None
        c = Candidate(
            spec=spec,
            window=ctx.states[spec.name],
            est_prompt_tokens=prompt_tokens,
            est_completion_tokens=completion_tokens,
            est_cost_usd=cost,
            est_latency_ms=latency,
            latency_observed=observed is not None,
            completion_basis=basis,
        )
        if tenant.allow_models and tenant.allows(spec.name):
            c.policy_hits.append(f"tenant:{tenant.name}:allow_models")
        _deny(c, ctx, req, controls, tenant, budgets)
        _score(c, rule)
        candidates.append(c)

    # A routing rule's lists are tiers: every eligible `prefer` model before any `fallback`,
    # fallbacks before unlisted models; the score ranks within a tier.
    def rank(c: Candidate) -> tuple[int, float, str]:
        return (_tier(c.spec.name, rule), -c.score, c.name)

    eligible = sorted((c for c in candidates if not c.deny), key=rank)
    held = sorted((c for c in candidates if c.deny and not c.hard_denied), key=rank)
    denied = sorted((c for c in candidates if c.hard_denied), key=rank)
    if not eligible and held:
        held[0].chosen_despite = "reserve_hold"
        eligible, held = [held[0]], held[1:]
    ordered = eligible + held + denied
    tz = snapshot.defaults.timezone

    def explain(candidate: Candidate) -> list[str]:
        return describe(candidate, rule, tz)

    for c in ordered:
        c.explain = explain
    result = Plan(
        request=req,
        policy_version=snapshot.version,
        tenant=tenant,
        controls=controls,
        candidates=ordered,
        primary=eligible[0] if eligible else None,
        fallbacks=eligible[1:],
    )
    if result.primary is None:
        raise NoEligibleModelError(
            f"no eligible model for task '{req.task}' at LOA {controls.loa}"
            f" (tenant '{tenant.name}'): "
            "every candidate was denied; see candidates[].deny_reasons",
            detail=result.to_dict(),
        )
    return result
