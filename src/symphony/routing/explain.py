"""Human-readable lines explaining one candidate's standing."""

from __future__ import annotations

from symphony.policy.model import RoutingRule
from symphony.routing.candidate import Candidate

DENY_WORDS = {
    "not_allowed_for_tenant": "not allowed for this tenant",
    "task_not_allowed": "not allowed for this task",
    "loa_exceeds": "LOA too high",
    "hosted_disallowed": "hosted models disallowed",
    "provider_hint_mismatch": "provider not in hints",
    "window_closed": "window closed upstream",
    "quota_exhausted": "quota exhausted",
    "reserve_hold": "holding the reserve",
    "over_cost_cap": "over the cost cap",
    "context_too_large": "input too large",
    "no_credentials": "no credentials",
    "cooldown": "cooling down",
    "no_endpoint": "no endpoint",
    "killed": "kill switch on",
    "budget_exhausted": "tenant budget spent",
    "capability_missing": "lacks a capability the request needs",
    "field_unsupported": "its protocol cannot honour a field",
}


def describe(c: Candidate, rule: RoutingRule | None, tz: str) -> list[str]:
    del tz
    lines: list[str] = []
    if c.chosen_despite == "reserve_hold":
        lines.append("chosen despite reserve hold: nothing else is eligible")
    for code, detail in c.deny:
        lines.append(f"denied: {DENY_WORDS.get(code, code)} ({detail})")
    spec, w = c.spec, c.window
    if rule is not None and spec.name in rule.route.prefer:
        lines.append(f"preferred #{rule.route.prefer.index(spec.name) + 1} by rule '{rule.name}'")
    elif rule is not None and spec.name in rule.route.fallback:
        lines.append(f"fallback #{rule.route.fallback.index(spec.name) + 1} in rule '{rule.name}'")
    lines.append(
        "local-first: no hosted spend"
        if spec.model_class == "local"
        else f"hosted by {spec.provider}: uses its quota and spend"
    )
    source = "observed" if c.latency_observed else "class default"
    lines.append(f"p95 ≈ {round(c.est_latency_ms)} ms ({source})")
    if c.est_cost_usd is None:
        lines.append("cost unknown (no price in policy)")
    else:
        lines.append(
            f"est. cost ${c.est_cost_usd:.4f}"
            f" for ~{c.est_prompt_tokens + c.est_completion_tokens} tokens"
        )
    if c.completion_basis:
        lines.append(
            f"cost worst case: {c.est_completion_tokens} output tokens ({c.completion_basis})"
        )
    if w.remaining_fraction is not None:
        reset = f", resets {w.resets_at_local}" if w.resets_at_local else ""
        lines.append(f"{round(w.remaining_fraction * 100)}% of {w.label} left{reset}")
    else:
        lines.append(f"{w.label}: capacity unknown ({w.source})")
    if w.power_window_open and w.next_power_window is not None:
        lines.append(f"power window open until {w.next_power_window.end_local}")
    elif w.next_power_window is not None:
        lines.append(f"next power window {w.next_power_window.start_local}")
    return lines
