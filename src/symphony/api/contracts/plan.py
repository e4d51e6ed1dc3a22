"""POST /route/plan: the explained decision (routing/planner.py, candidate.py `to_dict`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire

DenyCode = Literal[
    "not_allowed_for_tenant",
    "task_not_allowed",
    "loa_exceeds",
    "hosted_disallowed",
    "provider_hint_mismatch",
    "window_closed",
    "quota_exhausted",
    "reserve_hold",
    "over_cost_cap",
    "context_too_large",
    "no_credentials",
    "cooldown",
    "no_endpoint",
    "killed",
    "budget_exhausted",
    "capability_missing",
    "field_unsupported",
]
WindowSource = Literal["configured", "heuristic", "learned", "headers"]
ModelClass = Literal["local", "hosted"]


class DenyReason(Wire):
    code: DenyCode
    detail: str = Field(description="The reason in words, with the numbers that decided it")


class Factors(Wire):
    """Each weighted factor's contribution to the score (they sum to `score`)."""

    preference: float
    latency: float
    cost: float
    locality: float
    headroom: float
    window: float


class CandidateWindow(Wire):
    """The candidate's usage window, as the planner saw it."""

    kind: str = Field(examples=["rolling_3h", "session_5h", "daily", "header_driven"])
    label: str
    open: bool
    remaining: float | None
    reserved: float = Field(0, description="units held by calls in flight")
    cap: float | None
    resets_at: Instant | None
    resets_at_local: str | None
    source: WindowSource
    reserve_hold: bool
    power_window_open: bool


class PlanCandidate(Wire):
    """One model considered: its score, every factor, every denial, and why in words."""

    model: str
    provider: str
    model_class: ModelClass = Field(alias="class")
    score: float
    denied: bool
    deny_reasons: list[DenyReason]
    factors: Factors
    why: list[str]
    est_tokens: int
    est_cost_usd: float | None
    est_latency_ms: float
    window: CandidateWindow
    policy_hits: list[str]
    loa_ok: bool
    executable: bool


class Decision(Wire):
    primary: PlanCandidate | None
    fallbacks: list[PlanCandidate]


class PlanControls(Wire):
    """The knobs applied after the routing rule and the overrides."""

    loa: int
    allow_hosted: bool
    stream: bool
    max_cost_usd: float | None
    context_budget_tokens: int | None
    tokens_max: int | None = Field(
        description="the request's output limit; null: each model's own (see `why`)"
    )
    temperature: float | None
    tools_allowed: list[str]
    provider_hints: list[str]
    rule: str | None


class PlanPolicy(Wire):
    tenant: str
    loa_max: int


class Plan(Wire):
    """The routing decision: the primary, its fallbacks, and every candidate explained."""

    plan_id: str
    policy_version: str
    generated_at: Instant
    decision: Decision
    candidates: list[PlanCandidate]
    controls: PlanControls
    policy: PlanPolicy
