"""The pure planner: deterministic, explainable, never picks a hard-denied model."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.errors import NoEligibleModelError
from symphony.policy.loader import load_policy_files
from symphony.policy.model import ModelSpec, PolicySnapshot
from symphony.routing.candidate import DENY_CODES, SOFT_CODES
from symphony.routing.explain import DENY_WORDS
from symphony.routing.planner import WEIGHTS, PlanContext, plan
from symphony.routing.request import Overrides, PlanRequest
from symphony.windows.engine import compute_state
from symphony.windows.state import WindowState
from symphony.windows.usage import UsageEvent, UsageIndex

ROOT = Path(__file__).resolve().parents[2] / "config"
NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
SNAPSHOT = load_policy_files(ROOT / "router.policy.yml", ROOT / "model.windows.yml")


def states(snapshot: PolicySnapshot, usage: UsageIndex | None = None) -> dict[str, WindowState]:
    index = usage or UsageIndex()
    return {
        m.name: compute_state(
            m,
            index,
            NOW,
            schedule=snapshot.schedules.get(m.name),
            reserve_fraction=snapshot.reserve_fraction(m),
            tz=snapshot.defaults.timezone,
        )
        for m in snapshot.models
    }


def context(snapshot: PolicySnapshot = SNAPSHOT, **kw: Any) -> PlanContext:
    creds = kw.pop("has_credentials", lambda _m: True)
    return PlanContext(
        snapshot=snapshot,
        states=kw.pop("states", states(snapshot)),
        now=NOW,
        has_credentials=creds,
        **kw,
    )


def test_weights_are_shares_of_one() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_every_deny_code_has_words() -> None:
    assert set(DENY_WORDS) == set(DENY_CODES)
    assert set(DENY_CODES) >= SOFT_CODES


def test_order_does_not_depend_on_the_policy_order() -> None:
    request = PlanRequest(task="qa", input="hello", loa=1)
    expected = [c.name for c in plan(request, context()).candidates]
    rng = random.Random(7)
    for _ in range(5):
        models = list(SNAPSHOT.models)
        rng.shuffle(models)
        shuffled = replace(SNAPSHOT, models=tuple(models))
        assert [c.name for c in plan(request, context(shuffled)).candidates] == expected


@settings(max_examples=60, deadline=None)
@given(
    chars=st.integers(min_value=0, max_value=600_000),
    loa=st.integers(min_value=0, max_value=3),
    tokens_max=st.integers(min_value=1, max_value=8000),
    task=st.sampled_from(["qa", "chat", "code", "research", "analysis", "writing"]),
    hosted=st.booleans(),
)
def test_plans_are_consistent(
    chars: int, loa: int, tokens_max: int, task: str, hosted: bool
) -> None:
    request = PlanRequest(
        task=task,
        input="x" * chars,
        loa=loa,
        overrides=Overrides(tokens_max=tokens_max, allow_hosted=hosted),
    )
    try:
        result = plan(request, context())
    except NoEligibleModelError as exc:
        body = exc.detail
        assert body["decision"]["primary"] is None
        assert all(c["denied"] for c in body["candidates"])
        return
    assert result.primary is not None
    assert not result.primary.hard_denied
    names = [c.name for c in result.candidates]
    assert sorted(names) == sorted(m.name for m in SNAPSHOT.models)
    for c in result.candidates:
        assert sum(c.factors.values()) == pytest.approx(c.score)
        assert set(c.factors) == set(WEIGHTS)
        assert c.why
    chosen = [result.primary, *result.fallbacks]
    assert [c.name for c in chosen] == names[: len(chosen)]
    # Rule tiers first (prefer, fallback, unlisted), then score within a tier.
    rule = SNAPSHOT.rule_for(task, loa, "default")

    def tier(name: str) -> int:
        if rule is None or name in rule.route.prefer:
            return 0
        return 1 if name in rule.route.fallback else 2

    keys = [(tier(c.name), -c.score) for c in chosen]
    assert all(a <= b for a, b in itertools.pairwise(keys))
    assert all(c.est_prompt_tokens == max(1, -(-chars // 4)) for c in result.candidates)


def test_reserve_hold_is_soft_only_when_alone() -> None:
    usage = UsageIndex()
    usage.add(UsageEvent(NOW.replace(hour=16, minute=30), "anthropic/claude-pro", requests=40))
    only_claude = lambda m: m.name == "anthropic/claude-pro"  # noqa: E731
    ctx = context(states=states(SNAPSHOT, usage), has_credentials=only_claude)
    result = plan(PlanRequest(task="qa", loa=1), ctx)
    assert result.primary is not None
    assert result.primary.name == "anthropic/claude-pro"
    assert result.primary.chosen_despite == "reserve_hold"
    assert not result.primary.denied
    assert result.fallbacks == []


def test_a_killed_model_is_never_chosen() -> None:
    def killed(spec: ModelSpec, tenant: str) -> str | None:
        return "off" if spec.name == "local/ollama" else None

    with pytest.raises(NoEligibleModelError) as info:
        plan(
            PlanRequest(task="qa", loa=1),
            context(
                killed=killed,
                has_credentials=lambda m: m.endpoint is not None and m.endpoint.api_key_env is None,
            ),
        )
    ollama = next(c for c in info.value.detail["candidates"] if c["model"] == "local/ollama")
    assert {"code": "killed", "detail": "off"} in ollama["deny_reasons"]
