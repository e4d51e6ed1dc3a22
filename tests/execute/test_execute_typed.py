"""The executor's typed surface: ExecuteResult, the stream's events, the retry decision,
and collaborators that must all be given at construction."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from symphony.execute.attempt import retry_wait
from symphony.execute.executor import Executor
from symphony.execute.planning import PlanningService
from symphony.execute.request import ExecuteRequest, RetryPolicy
from symphony.execute.result import ExecuteResult, Finished, ModelStarted, TextDelta
from symphony.providers.base import ChatMessage, Usage
from symphony.providers.errors import ProviderError
from symphony.routing.request import PlanRequest

if TYPE_CHECKING:
    from conftest import Demo

CONTRACT_KEYS = {
    "audit_id",
    "latency_ms",
    "answer",
    "citations",
    "tickets",
    "logs",
    "decision",
    "controls",
    "audit",
}


def work(text: str, *, stream: bool = False) -> ExecuteRequest:
    return ExecuteRequest(
        plan=PlanRequest(task="qa", input=text, loa=1, prompt_chars=len(text)),
        messages=(ChatMessage("user", text),),
        stream=stream,
    )


def executor_of(demo: Demo) -> Executor:
    executor: Executor = demo.state.executor
    return executor


async def test_run_returns_a_typed_result_that_serialises_to_the_output_contract(
    demo: Demo,
) -> None:
    result = await executor_of(demo).run(work("summarise the typed result"))

    assert isinstance(result, ExecuteResult)
    body = orjson.loads(orjson.dumps(result.to_dict()))
    assert set(body) == CONTRACT_KEYS
    assert body["answer"] == result.answer
    assert result.answer.startswith("Simulated")
    assert body["decision"]["model"] == result.decision.model == result.audit.model
    assert body["controls"]["model"]["id"] == result.decision.model
    sim = await demo.sim_model(result.audit.model or "")
    assert result.audit.usage == Usage(sim["prompt_tokens"], sim["completion_tokens"])
    assert body["audit"]["model_usage"] == {
        "prompt_tokens": sim["prompt_tokens"],
        "completion_tokens": sim["completion_tokens"],
    }
    # The audit trail records exactly the result's audit section.
    (record,) = await demo.state.audit.query(type="route.execute")
    assert record.id == result.audit_id
    assert record.payload == body["audit"]


async def test_the_stream_is_typed_and_ends_with_the_result_run_would_give(demo: Demo) -> None:
    executor = executor_of(demo)
    events = [event async for event in executor.stream(work("stream typed", stream=True))]

    first, last = events[0], events[-1]
    assert isinstance(first, ModelStarted)
    assert first.to_dict() == {"model": first.model, "attempts": 1}
    assert isinstance(last, Finished)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    assert "".join(deltas) == last.result.answer
    assert last.result.audit.model == first.model
    ran = await executor.run(work("stream typed"))
    assert set(last.result.to_dict()) == set(ran.to_dict()) == CONTRACT_KEYS


RETRY = RetryPolicy(max_attempts=3, backoff_s=0.25, max_retry_after_s=5.0)


@pytest.mark.parametrize(
    ("kind", "retry_after", "number", "wait"),
    [
        ("unavailable", None, 0, 0.25),  # exponential backoff from backoff_s
        ("timeout", None, 1, 0.5),
        ("unavailable", None, 2, None),  # the last attempt at this model: move on
        ("rate_limited", 2.0, 0, 2.0),  # a short Retry-After is honoured
        ("rate_limited", 6.0, 0, None),  # a long one moves on to the next candidate
        ("rate_limited", None, 0, None),  # no Retry-After: do not hammer it
        ("bad_request", None, 0, None),  # not retryable
        ("auth", None, 0, None),
    ],
)
def test_retry_wait(kind: Any, retry_after: float | None, number: int, wait: float | None) -> None:
    assert retry_wait(ProviderError(kind, "upstream said no"), retry_after, number, RETRY) == wait


@pytest.mark.parametrize("cls", [Executor, PlanningService])
def test_every_collaborator_is_required(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    optional = [p.name for p in params if p.default is not inspect.Parameter.empty]
    assert optional == []
