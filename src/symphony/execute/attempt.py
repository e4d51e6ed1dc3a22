"""One attempt at one model, shared by the non-streaming call and the stream.

The call differs (a whole completion, or a stream consumed piece by piece, see
`streaming.py`); what happens around it is the same and lives here. A failure is recorded
with whatever usage it cost and learned from (Retry-After, rate-limit headers, cooldown);
then the attempt either waits out its backoff and asks for a retry of the same model, or
moves on to the next candidate. A success is recorded, charged, and ends the work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from symphony.clock import Clock
from symphony.execute.accounting import Accountant, cost_of
from symphony.execute.admission import Admitted
from symphony.execute.outcome import Outcome
from symphony.execute.request import Attempt, ExecuteRequest, RetryPolicy
from symphony.kit.tokens import estimate_prompt_tokens
from symphony.policy.model import ModelSpec
from symphony.providers.base import ChatRequest, Provider, Usage
from symphony.providers.chat import Choice
from symphony.providers.errors import RETRYABLE_KINDS, ProviderError
from symphony.routing.candidate import Candidate

__all__ = ["Try", "complete", "retry_wait"]


def retry_wait(
    err: ProviderError, retry_after: float | None, number: int, retry: RetryPolicy
) -> float | None:
    """Seconds to wait before retrying the same model after attempt `number` (0-based),
    or None to move on to the next candidate."""
    if not err.retryable or err.kind not in RETRYABLE_KINDS or number + 1 >= retry.max_attempts:
        return None
    if err.kind == "rate_limited":
        if retry_after is None or retry_after > retry.max_retry_after_s:
            return None
        return retry_after
    return retry.backoff_s * 2.0**number


@dataclass(slots=True)
class Try:
    """One attempt at one candidate: times it, accounts for it, says what comes next.

    After the call, exactly one of `failed` or `succeeded` is awaited. Then `done` means the
    work has its answer, `retry` that the same model is tried again (the backoff already
    waited), and neither that the next candidate is tried.
    """

    accountant: Accountant
    clock: Clock
    outcome: Outcome
    req: ExecuteRequest
    candidate: Candidate
    chat: ChatRequest
    number: int  # 0-based attempt at this candidate
    started: float = 0.0  # perf_counter() when the call began
    done: bool = False
    retry: bool = False
    admitted: Admitted | None = None  # the call's reservation, until settled or released

    def __post_init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def spec(self) -> ModelSpec:
        return self.candidate.spec

    def elapsed_ms(self) -> float:
        """Milliseconds since the call began."""
        return (time.perf_counter() - self.started) * 1000

    async def charge(self, usage: Usage, at: datetime | None = None) -> None:
        """Count usage durably against the model's windows and add its cost to the tally;
        then settle the reservation (the ledger counts the usage from here on)."""
        cost = await self.accountant.record_usage(
            self.spec, self.outcome.tenant, usage, at or self.clock.now(), self.outcome.audit_id
        )
        self.outcome.add_cost(cost, usage)
        if self.admitted is not None:
            await self.admitted.settle(usage, cost)

    async def release(self) -> None:
        """Give back what the reservation holds (no usage to charge, or the call is gone)."""
        if self.admitted is not None:
            await self.admitted.release()

    def prompt_tokens(self) -> int:
        """The prompt's size, estimated (what a call the client left has cost at least)."""
        return estimate_prompt_tokens(sum(len(m.content) for m in self.chat.messages))

    def abandoned(self, used: Usage) -> None:
        """The client went away mid-call (the task is being cancelled): record the attempt
        and account `used` in the background, then settle its reservation there."""
        outcome = self.outcome
        admitted, self.admitted = self.admitted, None  # settled after the usage lands
        outcome.add_cost(cost_of(self.spec, used), used)
        outcome.attempts.append(
            Attempt(self.spec.name, "cancelled", None, self.elapsed_ms(), "client went away")
        )
        self.accountant.record_in_background(
            self.spec, outcome.tenant, used, self.clock.now(), outcome.audit_id, admitted
        )

    def refused(self, reason: str) -> None:
        """The call may not start (kill switch, a full window or budget): record why."""
        outcome = "killed" if reason.startswith("killed") else "refused"
        self.outcome.attempts.append(
            Attempt(self.spec.name, outcome, None, 0.0, reason, "admission")
        )

    async def failed(
        self, err: ProviderError, used: Usage | None, sent: str = "", *, began: bool = False
    ) -> None:
        """Record a failed call and what it used; `sent` is text the client already has,
        `began` that it has something (a tool call); then the work ends with it instead of
        retrying."""
        latency = self.elapsed_ms()
        spec = self.spec
        self.outcome.attempts.append(
            Attempt(spec.name, "error", err.status, latency, err.message, err.kind)
        )
        if used is not None:
            await self.charge(used)
        else:
            await self.release()
        retry_after = await self.accountant.on_error(
            spec, err, self.clock.now(), self.outcome.tenant
        )
        if sent or began:  # output already reached the client: end with what it has
            self.outcome.finish(self.candidate, sent, None, stopped_reason="upstream_error")
            self.done = True
            return
        wait = retry_wait(err, retry_after, self.number, self.req.retry)
        if wait is not None and wait < self.outcome.left_s():  # a retry within the deadline
            metrics = self.accountant.metrics
            metrics.child(metrics.retries, spec.name, err.kind).inc()
            await asyncio.sleep(wait)
            self.retry = True

    async def succeeded(
        self,
        *,
        status: int,
        usage: Usage,
        text: str,
        finish: str | None,
        stopped: str | None = None,
        headers: Mapping[str, str] | None = None,
        choices: tuple[Choice, ...] = (),
    ) -> None:
        """Record a call that answered (`stopped`: we cut it short, e.g. cost_cap, killed),
        charge its usage, learn its rate-limit `headers`, and end the work with `text`."""
        latency = self.elapsed_ms()
        spec = self.spec
        self.outcome.attempts.append(
            Attempt(spec.name, stopped or "ok", status, latency, stopped or finish or "stop")
        )
        now = self.clock.now()
        await self.charge(usage, now)
        if headers is not None:
            await self.accountant.learn_headers(spec, headers, now)
        await self.accountant.on_success(spec, latency)
        self.outcome.finish(self.candidate, text, finish, stopped_reason=stopped, choices=choices)
        self.done = True


async def complete(attempt: Try, provider: Provider) -> None:
    """The non-streaming call: one whole completion."""
    try:
        completion = await provider.complete(attempt.chat)
    except ProviderError as err:
        await attempt.failed(err, err.partial_usage)
        return
    except asyncio.CancelledError:  # the client hung up: the upstream has the prompt
        attempt.abandoned(Usage(attempt.prompt_tokens(), 0))
        raise
    await attempt.succeeded(
        status=completion.status,
        usage=completion.usage,
        text=completion.text,
        finish=completion.finish_reason,
        headers=completion.headers,
        choices=completion.choices,
    )
