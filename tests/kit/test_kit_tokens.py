"""One token estimator: the planner, the executor, the adapters and the simulator agree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from symphony.kit.tokens import estimate_prompt_tokens, estimate_tokens
from symphony.providers.base import ChatMessage, estimate_usage
from symphony.routing.planner import estimate_prompt_tokens as planner_prompt_tokens
from symphony.routing.request import PlanRequest
from symphony.simulator.text import make_completion


def test_text_rounds_up_to_whole_tokens() -> None:
    assert [estimate_tokens(n) for n in (0, 1, 3, 4, 5, 8, 9)] == [0, 1, 1, 1, 2, 2, 3]


def test_a_prompt_costs_at_least_one_token() -> None:
    assert estimate_prompt_tokens(0) == 1
    assert estimate_prompt_tokens(9) == 3


@given(st.integers(min_value=0, max_value=10**7))
def test_never_undercounts(chars: int) -> None:
    tokens = estimate_tokens(chars)
    assert tokens * 4 >= chars > (tokens - 1) * 4 or chars == tokens == 0


@given(st.text(max_size=200), st.text(max_size=200))
def test_every_estimate_site_uses_the_same_rule(prompt: str, answer: str) -> None:
    chars = len(prompt)
    usage = estimate_usage([ChatMessage("user", prompt)], answer)
    assert usage.prompt_tokens == estimate_prompt_tokens(chars)
    assert usage.completion_tokens == estimate_tokens(len(answer))
    plan = PlanRequest(task="qa", input=prompt)
    assert planner_prompt_tokens(plan) == estimate_prompt_tokens(chars)
    simulated = make_completion(None, "m", prompt, chars, None)
    assert simulated.prompt_tokens == estimate_prompt_tokens(chars)
