"""One model considered by the planner, with every reason and factor kept for explanation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from symphony.policy.model import ModelSpec
from symphony.windows.state import WindowState, iso

DENY_CODES = (
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
)
# Soft denials: chosen anyway when nothing else is eligible (and `why` says so).
SOFT_CODES = frozenset({"reserve_hold"})


@dataclass(slots=True)
class Candidate:
    spec: ModelSpec
    window: WindowState
    est_prompt_tokens: int
    est_completion_tokens: int
    est_cost_usd: float | None
    est_latency_ms: float
    latency_observed: bool
    deny: list[tuple[str, str]] = field(default_factory=list)
    factors: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    explain: Callable[[Candidate], list[str]] | None = None
    _why: list[str] | None = None
    policy_hits: list[str] = field(default_factory=list)
    loa_ok: bool = True
    chosen_despite: str | None = None
    completion_basis: str = ""  # where the worst-case output tokens come from, in words

    @property
    def why(self) -> list[str]:
        """Human-readable lines, built on first use (most candidates are never shown)."""
        if self._why is None:
            self._why = self.explain(self) if self.explain is not None else []
        return self._why

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def hard_denied(self) -> bool:
        return any(code not in SOFT_CODES for code, _ in self.deny)

    @property
    def denied(self) -> bool:
        return bool(self.deny) and self.chosen_despite is None

    def to_dict(self) -> dict[str, Any]:
        w = self.window
        return {
            "model": self.spec.name,
            "provider": self.spec.provider,
            "class": self.spec.model_class,
            "score": round(self.score, 4),
            "denied": self.denied,
            "deny_reasons": [{"code": c, "detail": d} for c, d in self.deny],
            "factors": {k: round(v, 4) for k, v in self.factors.items()},
            "why": self.why,
            "est_tokens": self.est_prompt_tokens + self.est_completion_tokens,
            "est_cost_usd": None if self.est_cost_usd is None else round(self.est_cost_usd, 6),
            "est_latency_ms": round(self.est_latency_ms, 1),
            "window": {
                "kind": w.kind,
                "label": w.label,
                "open": w.open,
                "remaining": w.to_dict()["remaining"],
                "reserved": w.to_dict()["reserved"],
                "cap": w.to_dict()["cap"],
                "resets_at": iso(w.resets_at),
                "resets_at_local": w.resets_at_local,
                "source": w.source,
                "reserve_hold": w.reserve_hold,
                "power_window_open": w.power_window_open,
            },
            "policy_hits": self.policy_hits,
            "loa_ok": self.loa_ok,
            "executable": self.spec.executable,
        }
