"""What a caller asks the planner for, after API validation (plain data, no pydantic)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Overrides:
    tokens_max: int | None = None
    context_budget_tokens: int | None = None
    temperature: float | None = None
    streaming: bool | None = None
    tools_allowed: tuple[str, ...] | None = None
    cost_ceiling_usd: float | None = None
    provider_hints: tuple[str, ...] | None = None
    loa: int | None = None
    allow_hosted: bool | None = None


@dataclass(frozen=True, slots=True)
class PlanRequest:
    task: str
    input: str = ""
    loa: int = 1
    tenant: str = "default"
    env: str | None = None
    overrides: Overrides = field(default_factory=Overrides)
    prompt_chars: int | None = None  # when messages are given instead of input
    pinned_model: str | None = None  # /v1 with a fixed model: plan only that one
    enforce_task: bool = True  # False when a client pinned a model without naming a task
    kind: str = "chat"  # chat | embedding: only models of this kind are candidates
    requires: tuple[str, ...] = ()  # capabilities the request needs (tools, vision…)
    fields: tuple[str, ...] = ()  # fields only some wire protocols honour (seed, n…)
    wire: str | None = None  # the client's protocol (openai, anthropic), if it sent one


@dataclass(frozen=True, slots=True)
class Controls:
    """The knobs actually applied after the routing rule and the overrides."""

    loa: int
    allow_hosted: bool
    stream: bool
    max_cost_usd: float | None
    context_budget_tokens: int | None
    tokens_max: int | None  # the request's output limit; None: each model's own
    temperature: float | None
    tools_allowed: tuple[str, ...]
    provider_hints: tuple[str, ...]
    rule: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "loa": self.loa,
            "allow_hosted": self.allow_hosted,
            "stream": self.stream,
            "max_cost_usd": self.max_cost_usd,
            "context_budget_tokens": self.context_budget_tokens,
            "tokens_max": self.tokens_max,
            "temperature": self.temperature,
            "tools_allowed": list(self.tools_allowed),
            "provider_hints": list(self.provider_hints),
            "rule": self.rule,
        }
