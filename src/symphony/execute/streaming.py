"""The streaming call of one attempt: relay text, stop on a kill or the cost cap, and
account for what was used, also when the client hangs up mid-stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import cast

from symphony.execute.attempt import Try
from symphony.execute.planning import KillCheck
from symphony.execute.result import ExecuteEvent, ModelStarted, TextDelta, ToolDelta
from symphony.kit.tokens import estimate_prompt_tokens, estimate_tokens
from symphony.metrics.registry import Metrics
from symphony.providers.base import (
    Provider,
    StreamDelta,
    StreamEnd,
    StreamEvent,
    StreamStart,
    StreamToolCall,
    Usage,
)
from symphony.providers.chat import Choice
from symphony.providers.errors import ProviderError

__all__ = ["StreamAttempt"]


class StreamAttempt:
    """One streamed attempt; `events()` yields `ModelStarted` before the first text, then
    `TextDelta`s, and records the attempt on its `Try` when the stream ends."""

    def __init__(
        self,
        attempt: Try,
        provider: Provider,
        *,
        killed: KillCheck,
        metrics: Metrics,
        usd_cap: float | None,
    ) -> None:
        self.attempt = attempt
        self.provider = provider
        self.killed = killed
        self.metrics = metrics
        self.usd_cap = usd_cap  # None: never stop for cost
        self.prompt_tokens = estimate_prompt_tokens(
            sum(len(m.content) for m in attempt.chat.messages)
        )
        self.pieces: list[str] = []
        self.chars = 0
        self.began = False  # something (text or a tool call) reached our consumer
        self.usage: Usage | None = None  # as reported by the upstream at the end
        self.finish: str | None = None
        self.choices: tuple[Choice, ...] = ()
        self.stopped: str | None = None  # killed | cost_cap: we cut the stream short

    def used(self) -> Usage:
        """Usage estimated from the prompt and the text relayed so far."""
        return Usage(self.prompt_tokens, estimate_tokens(self.chars))

    async def events(self) -> AsyncGenerator[ExecuteEvent, None]:
        """Relay the upstream stream; record the attempt (failed or succeeded) at its end."""
        attempt = self.attempt
        # Provider.stream is an async generator (see its contract): closing it hangs up.
        upstream = cast("AsyncGenerator[StreamEvent, None]", self.provider.stream(attempt.chat))
        finished = False  # the upstream ended (or we stopped it) without an error
        failed = False
        # Locals for the per-delta path (it runs once per token or so).
        spec, tenant, killed, pieces = (
            attempt.spec,
            attempt.outcome.tenant,
            self.killed,
            self.pieces,
        )
        deadline = attempt.outcome.deadline
        try:
            while True:
                try:  # the overall deadline bounds every read (a byte every 2 s included)
                    async with asyncio.timeout_at(deadline):
                        event = await anext(upstream)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    if not self.began:
                        raise self._past_deadline() from None
                    self.stopped = "deadline"
                    break
                if isinstance(event, StreamDelta):
                    if killed(spec, tenant):  # kill switch: stop now
                        self.stopped = "killed"
                        break
                    text = event.text
                    if not self.began:
                        self.began = True
                        yield self._started()
                    if event.choice == 0:
                        pieces.append(text)
                    self.chars += len(text)
                    yield TextDelta(text, event.choice, event.logprobs)
                    if self.usd_cap is not None and self._over_cap():
                        self.stopped = "cost_cap"
                        break
                elif isinstance(event, StreamToolCall):
                    if killed(spec, tenant):
                        self.stopped = "killed"
                        break
                    if not self.began:
                        self.began = True
                        yield self._started()
                    self.chars += len(event.arguments) + len(event.name or "")
                    yield ToolDelta(
                        event.choice, event.index, event.id, event.name, event.arguments
                    )
                elif isinstance(event, StreamEnd):
                    self.usage, self.finish = event.usage, event.finish_reason
                    self.choices = event.choices
                elif isinstance(event, StreamStart):
                    await attempt.accountant.learn_headers(
                        attempt.spec, event.headers, attempt.clock.now()
                    )
            finished = True
        except ProviderError as err:
            failed = True
            used = err.partial_usage or (self.used() if self.began else None)
            await attempt.failed(err, used, "".join(self.pieces), began=self.began)
            return
        finally:
            # Cancelled again at once when the client left (anyio cancels every await).
            with contextlib.suppress(ProviderError, asyncio.CancelledError):
                await upstream.aclose()
            if not finished and not failed and self.stopped is None:
                self._account_abandoned()
        await attempt.succeeded(
            status=200,
            usage=self.usage if self.usage is not None and self.stopped is None else self.used(),
            text="".join(self.pieces),
            finish=self.finish,
            stopped=self.stopped,
            choices=self.choices if self.stopped is None else (),
        )

    def _past_deadline(self) -> ProviderError:
        outcome = self.attempt.outcome
        return ProviderError(
            "timeout",
            f"{self.attempt.spec.name}: the deadline of {outcome.deadline_s:g}s passed"
            " before the answer began",
            retryable=False,
        )

    def _started(self) -> ModelStarted:
        """The first text: time to first token, and which model answers after how many tries."""
        attempt = self.attempt
        name = attempt.spec.name
        self.metrics.child(self.metrics.ttft, name).observe(attempt.elapsed_ms() / 1000)
        return ModelStarted(name, len(attempt.outcome.attempts) + 1)  # final: text now flows

    def _over_cap(self) -> bool:
        """The cost so far (estimated from the text relayed) reached the request's cap."""
        price = self.attempt.spec.price
        return (
            self.usd_cap is not None
            and price is not None
            and price.cost(self.prompt_tokens, estimate_tokens(self.chars)) >= self.usd_cap
        )

    def _account_abandoned(self) -> None:
        """The client went away: the upstream is closed; account what was used anyway."""
        self.attempt.abandoned(self.used())
