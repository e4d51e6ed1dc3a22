"""Request bodies (validated) and the plan example documented in the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from symphony.errors import ValidationFailed
from symphony.policy.model import Capability, OverridesSchema
from symphony.routing.request import Overrides, PlanRequest


class OverridesIn(BaseModel):
    """Per-work-unit overrides, bounded by the policy's work_unit_overrides_schema."""

    model_config = ConfigDict(extra="forbid")
    tokens_max: int | None = Field(None, ge=1, le=1_000_000)
    context_budget_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    streaming: bool | None = None
    tools_allowed: list[str] | None = None
    cost_ceiling_usd: float | None = Field(None, ge=0.0)
    provider_hints: list[str] | None = None
    loa: int | None = Field(None, ge=0, le=10)
    allow_hosted: bool | None = None


class PlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task": "qa",
                    "input": "Summarise the rate-limit rules",
                    "loa": 1,
                    "tenant": "default",
                    "overrides": {"temperature": 0.2, "provider_hints": ["anthropic", "local"]},
                }
            ]
        },
    )
    task: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    input: str | None = Field(None, max_length=1_500_000)
    env: str | None = Field(None, max_length=32)
    loa: int = Field(1, ge=0, le=10)
    tenant: str = Field("default", min_length=1, max_length=64)
    overrides: OverridesIn | None = None
    requires: list[Capability] | None = Field(
        None,
        max_length=8,
        description="capabilities the work needs: models that declare others are denied"
        " (capability_missing)",
    )
    fields: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None,
        max_length=32,
        description="request fields the work will send (e.g. seed, logit_bias): models whose"
        " protocol cannot honour one are denied (field_unsupported)",
    )

    def to_request(
        self, schema: OverridesSchema, *, prompt_chars: int | None = None, pinned: str | None = None
    ) -> PlanRequest:
        return PlanRequest(
            task=self.task,
            input=self.input or "",
            loa=self.loa,
            tenant=self.tenant,
            env=self.env,
            overrides=to_overrides(self.overrides, schema),
            prompt_chars=prompt_chars,
            pinned_model=pinned,
            requires=tuple(self.requires or ()),
            fields=tuple(self.fields or ()),
        )


def to_overrides(o: OverridesIn | None, schema: OverridesSchema) -> Overrides:
    """Check overrides against the policy's bounds; errors name the field path."""
    if o is None:
        return Overrides()
    problems: list[dict[str, Any]] = []
    if (
        o.temperature is not None
        and not schema.temperature_min <= o.temperature <= schema.temperature_max
    ):
        problems.append(
            {
                "path": "body.overrides.temperature",
                "message": f"must be between {schema.temperature_min} and {schema.temperature_max}",
            }
        )
    if o.tokens_max is not None and o.tokens_max > schema.tokens_max_limit:
        problems.append(
            {
                "path": "body.overrides.tokens_max",
                "message": f"must be <= {schema.tokens_max_limit}",
            }
        )
    for i, tool in enumerate(o.tools_allowed or []):
        if tool not in schema.tools_allowed:
            problems.append(
                {
                    "path": f"body.overrides.tools_allowed[{i}]",
                    "message": f"unknown tool '{tool}'"
                    f" (allowed: {', '.join(schema.tools_allowed)})",
                }
            )
    for i, hint in enumerate(o.provider_hints or []):
        if hint not in schema.provider_hints:
            problems.append(
                {
                    "path": f"body.overrides.provider_hints[{i}]",
                    "message": f"unknown provider hint '{hint}'"
                    f" (allowed: {', '.join(schema.provider_hints)})",
                }
            )
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p['path']}: {p['message']}" for p in problems), detail={"fields": problems}
        )
    return Overrides(
        tokens_max=o.tokens_max,
        context_budget_tokens=o.context_budget_tokens,
        temperature=o.temperature,
        streaming=o.streaming,
        tools_allowed=tuple(o.tools_allowed) if o.tools_allowed is not None else None,
        cost_ceiling_usd=o.cost_ceiling_usd,
        provider_hints=tuple(o.provider_hints) if o.provider_hints is not None else None,
        loa=o.loa,
        allow_hosted=o.allow_hosted,
    )


class ObservationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resets_at": "2026-11-22T20:00:00Z",
                    "remaining": 12,
                    "cap": 45,
                    "source": "operator",
                    "note": "Claude UI says: resets at 1 PM",
                }
            ]
        },
    )
    resets_at: datetime | None = None
    remaining: float | None = Field(None, ge=0)
    cap: float | None = Field(None, ge=0)
    source: str = Field("operator", max_length=32)
    note: str = Field("", max_length=500)


CANDIDATE_EXAMPLE: dict[str, Any] = {
    "model": "local/ollama",
    "provider": "local",
    "class": "local",
    "score": 0.6379,
    "denied": False,
    "deny_reasons": [],
    "factors": {
        "preference": 0.0,
        "latency": 0.1429,
        "cost": 0.15,
        "locality": 0.15,
        "headroom": 0.09,
        "window": 0.0,
    },
    "why": [
        "fallback #2 in rule 'qa-hosted-first'",
        "local-first: no hosted spend",
        "p95 ≈ 400 ms (class default)",
    ],
    "est_tokens": 515,
    "est_cost_usd": 0.0,
    "est_latency_ms": 400.0,
    "window": {
        "kind": "dynamic",
        "label": "dynamic",
        "open": True,
        "remaining": None,
        "cap": None,
        "resets_at": None,
        "resets_at_local": None,
        "source": "heuristic",
        "reserve_hold": False,
        "power_window_open": False,
    },
    "policy_hits": ["rule:qa-hosted-first:fallback"],
    "loa_ok": True,
    "executable": True,
}
PLAN_EXAMPLE: dict[str, Any] = {
    "plan_id": "pln_x2bT0y2kQ6yO3J8b",
    "policy_version": "f8ef309224ee3aea",
    "generated_at": "2026-11-22T17:00:00Z",
    "decision": {"primary": CANDIDATE_EXAMPLE, "fallbacks": []},
    "candidates": [CANDIDATE_EXAMPLE],
    "controls": {
        "loa": 1,
        "allow_hosted": True,
        "stream": True,
        "max_cost_usd": 0.5,
        "context_budget_tokens": 32000,
        "tokens_max": 512,
        "temperature": None,
        "tools_allowed": [],
        "provider_hints": [],
        "rule": "qa-hosted-first",
    },
    "policy": {"tenant": "default", "loa_max": 2},
}
