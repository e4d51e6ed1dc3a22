"""Run planned work: primary, retries with backoff, fallbacks, cost guard, streaming.

Every attempt's usage is accounted (also when a client disconnects mid-stream), every
decision is audited before the caller is answered, and all failures end in a 502 that
lists each attempt, never a bare 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import replace
from typing import Any, Protocol, cast

from symphony.clock import Clock
from symphony.errors import UpstreamFailedError
from symphony.execute.accounting import Accountant, estimate_tokens
from symphony.execute.planning import PlannedWork, PlanningService, new_id
from symphony.execute.request import Attempt, ExecuteRequest
from symphony.execute.result import Outcome, build_result
from symphony.policy.model import ModelSpec
from symphony.providers.base import (
    ChatRequest,
    StreamDelta,
    StreamEnd,
    StreamEvent,
    StreamStart,
    Usage,
)
from symphony.providers.errors import ProviderError
from symphony.providers.pool import ProviderPool
from symphony.routing.candidate import Candidate

RETRYABLE = frozenset({"rate_limited", "unavailable", "timeout"})


class AuditSink(Protocol):
    async def append(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        actor: str | None = None,
        tenant: str | None = None,
        id: str | None = None,
    ) -> Any: ...


class Executor:
    def __init__(
        self,
        planning: PlanningService,
        pool: ProviderPool,
        clock: Clock,
        audit: AuditSink | None = None,
    ) -> None:
        self.planning = planning
        self.pool = pool
        self.clock = clock
        self.audit = audit
        self.accountant = Accountant(
            planning.windows, planning.bus, planning.metrics, planning.stats
        )
        # Set by the app: the redactor for text leaving the process (the result's `logs`).
        self.redact: Callable[[str], str] | None = None

    # --- planning -------------------------------------------------------------------
    def plan(self, req: ExecuteRequest) -> PlannedWork:
        """Plan with the execute controls folded into the overrides (cost cap, stream)."""
        o = req.plan.overrides
        caps = [c for c in (o.cost_ceiling_usd, req.cost_guard.usd_cap) if c is not None]
        overrides = replace(
            o,
            cost_ceiling_usd=min(caps) if caps else None,
            streaming=req.stream,
            tokens_max=req.sampling.max_tokens or o.tokens_max,
        )
        return self.planning.plan(replace(req.plan, overrides=overrides), publish=False)

    def chat_request(self, spec: ModelSpec, req: ExecuteRequest, work: PlannedWork) -> ChatRequest:
        assert spec.endpoint is not None
        controls = work.plan.controls
        return ChatRequest(
            model=spec.endpoint.model,
            messages=req.messages,
            max_tokens=req.sampling.max_tokens or controls.tokens_max,
            temperature=req.sampling.temperature
            if req.sampling.temperature is not None
            else controls.temperature,
            top_p=req.sampling.top_p,
            timeout_s=req.timeout_s,
        )

    @staticmethod
    def candidates(work: PlannedWork) -> list[Candidate]:
        assert work.plan.primary is not None
        return [work.plan.primary, *work.plan.fallbacks]

    async def _wait_before_retry(
        self,
        err: ProviderError,
        retry_after: float | None,
        attempt: int,
        req: ExecuteRequest,
        model: str,
    ) -> float | None:
        """Seconds to wait before retrying the same model, or None to move on."""
        if err.kind not in RETRYABLE or attempt + 1 >= req.retry.max_attempts:
            return None
        if err.kind == "rate_limited":
            if retry_after is None or retry_after > req.retry.max_retry_after_s:
                return None
            wait = retry_after
        else:
            wait = req.retry.backoff_s * 2.0**attempt
        metrics = self.planning.metrics
        metrics.child(metrics.retries, model, err.kind).inc()
        return wait

    # --- non-streaming --------------------------------------------------------------
    async def run(self, req: ExecuteRequest) -> dict[str, Any]:
        started = time.perf_counter()
        work = self.plan(req)
        audit_id = req.audit_id or new_id("aud")
        outcome = Outcome(work=work, audit_id=audit_id, tenant=req.plan.tenant)
        for candidate in self.candidates(work):
            spec = candidate.spec
            provider = self.pool.for_model(spec)
            chat = self.chat_request(spec, req, work)
            for attempt in range(req.retry.max_attempts):
                t0 = time.perf_counter()
                try:
                    completion = await provider.complete(chat)
                except ProviderError as err:
                    latency = (time.perf_counter() - t0) * 1000
                    outcome.attempts.append(
                        Attempt(spec.name, "error", err.status, latency, err.message, err.kind)
                    )
                    if err.partial_usage is not None:
                        outcome.add_cost(
                            await self.accountant.record_usage(
                                spec, outcome.tenant, err.partial_usage, self.clock.now(), audit_id
                            ),
                            err.partial_usage,
                        )
                    retry_after = await self.accountant.on_error(
                        spec, err, self.clock.now(), outcome.tenant
                    )
                    wait = await self._wait_before_retry(err, retry_after, attempt, req, spec.name)
                    if wait is None:
                        break
                    await asyncio.sleep(wait)
                    continue
                latency = (time.perf_counter() - t0) * 1000
                outcome.attempts.append(
                    Attempt(
                        spec.name,
                        "ok",
                        completion.status,
                        latency,
                        completion.finish_reason or "stop",
                    )
                )
                now = self.clock.now()
                outcome.add_cost(
                    await self.accountant.record_usage(
                        spec, outcome.tenant, completion.usage, now, audit_id
                    ),
                    completion.usage,
                )
                await self.accountant.learn_headers(spec, completion.headers, now)
                await self.accountant.on_success(spec, latency)
                outcome.finish(candidate, completion.text, completion.finish_reason)
                return await self._conclude(outcome, req, started)
        return await self._fail(outcome, req, started)

    # --- streaming ------------------------------------------------------------------
    async def stream(self, req: ExecuteRequest) -> AsyncIterator[tuple[str, Any]]:
        """Yield ("model", {model, attempts}) when a model starts answering (attempts so far,
        this one included: no attempt follows once text flowed), ("delta", text) pieces, then
        one ("result", body). Plan errors raise before anything is yielded."""
        started = time.perf_counter()
        work = self.plan(req)
        audit_id = req.audit_id or new_id("aud")
        outcome = Outcome(work=work, audit_id=audit_id, tenant=req.plan.tenant)
        cap = req.cost_guard.usd_cap if req.cost_guard.stop_on_cap else None
        for candidate in self.candidates(work):
            spec = candidate.spec
            chat = self.chat_request(spec, req, work)
            prompt_tokens = estimate_tokens(sum(len(m.content) for m in chat.messages))
            for attempt in range(req.retry.max_attempts):
                t0 = time.perf_counter()
                pieces: list[str] = []
                chars = 0
                usage: Usage | None = None
                finish: str | None = None
                stopped: str | None = None
                finished = False
                accounted = False
                # Provider.stream is an async generator (see its contract): closing it hangs up.
                provider = self.pool.for_model(spec)
                events = cast("AsyncGenerator[StreamEvent, None]", provider.stream(chat))
                try:
                    async for event in events:
                        if isinstance(event, StreamDelta):
                            if self.planning.killed(spec, outcome.tenant):  # kill switch: stop now
                                stopped = "killed"
                                break
                            if not pieces:
                                self.planning.metrics.child(
                                    self.planning.metrics.ttft, spec.name
                                ).observe(time.perf_counter() - t0)
                                tries = len(outcome.attempts) + 1  # final: text now flows
                                yield ("model", {"model": spec.name, "attempts": tries})
                            pieces.append(event.text)
                            chars += len(event.text)
                            yield ("delta", event.text)
                            if (
                                cap is not None
                                and spec.price is not None
                                and spec.price.cost(prompt_tokens, estimate_tokens(chars)) >= cap
                            ):
                                stopped = "cost_cap"
                                break
                        elif isinstance(event, StreamEnd):
                            usage, finish = event.usage, event.finish_reason
                        elif isinstance(event, StreamStart):
                            await self.accountant.learn_headers(
                                spec, event.headers, self.clock.now()
                            )
                    finished = True
                except ProviderError as err:
                    accounted = True
                    latency = (time.perf_counter() - t0) * 1000
                    outcome.attempts.append(
                        Attempt(spec.name, "error", err.status, latency, err.message, err.kind)
                    )
                    partial = err.partial_usage or (
                        Usage(prompt_tokens, estimate_tokens(chars)) if pieces else None
                    )
                    if partial is not None:
                        outcome.add_cost(
                            await self.accountant.record_usage(
                                spec, outcome.tenant, partial, self.clock.now(), audit_id
                            ),
                            partial,
                        )
                    retry_after = await self.accountant.on_error(
                        spec, err, self.clock.now(), outcome.tenant
                    )
                    if pieces:  # text already reached the client: end with what we have
                        outcome.finish(
                            candidate, "".join(pieces), None, stopped_reason="upstream_error"
                        )
                        yield ("result", await self._conclude(outcome, req, started))
                        return
                    wait = await self._wait_before_retry(err, retry_after, attempt, req, spec.name)
                    if wait is None:
                        break
                    await asyncio.sleep(wait)
                    continue
                finally:
                    # Cancelled again at once when the client left (anyio cancels every await).
                    with contextlib.suppress(ProviderError, asyncio.CancelledError):
                        await events.aclose()
                    if not finished and stopped is None and not accounted:
                        # The client went away: the upstream is closed; account what was used.
                        used = Usage(prompt_tokens, estimate_tokens(chars))
                        self.accountant.record_in_background(
                            spec, outcome.tenant, used, self.clock.now(), audit_id
                        )
                latency = (time.perf_counter() - t0) * 1000
                final_usage = (
                    usage
                    if usage is not None and stopped is None
                    else Usage(prompt_tokens, estimate_tokens(chars))
                )
                outcome.attempts.append(
                    Attempt(spec.name, stopped or "ok", 200, latency, stopped or finish or "stop")
                )
                outcome.add_cost(
                    await self.accountant.record_usage(
                        spec, outcome.tenant, final_usage, self.clock.now(), audit_id
                    ),
                    final_usage,
                )
                await self.accountant.on_success(spec, latency)
                outcome.finish(candidate, "".join(pieces), finish, stopped_reason=stopped)
                yield ("result", await self._conclude(outcome, req, started))
                return
        await self._fail(outcome, req, started)

    # --- conclusion -----------------------------------------------------------------
    async def _conclude(
        self, outcome: Outcome, req: ExecuteRequest, started: float
    ) -> dict[str, Any]:
        latency_ms = (time.perf_counter() - started) * 1000
        body = build_result(outcome, req, latency_ms, self.redact)
        model = outcome.model or "none"
        metrics = self.planning.metrics
        metrics.child(metrics.execute_latency, model, outcome.tenant).observe(latency_ms / 1000)
        metrics.child(
            metrics.decisions, model, "fallback" if outcome.fell_back else "primary"
        ).inc()
        rule = outcome.work.plan.controls.rule
        ok = outcome.stopped_reason != "upstream_error"  # a partial answer ended in an error
        metrics.slo.count_execute(model, rule, ok)
        await self._audit(outcome, req, body["audit"])
        self.planning.bus.publish(
            "route.execute",
            {
                "audit_id": outcome.audit_id,
                "plan_id": outcome.work.plan_id,
                "model": model,
                "rule": rule,
                "ok": ok,
                "tenant": outcome.tenant,
                "latency_ms": round(latency_ms, 1),
                "cost_usd": round(outcome.cost_usd, 6),
                "attempts": len(outcome.attempts),
                "stopped_reason": outcome.stopped_reason,
                "fallback": outcome.fell_back,
            },
        )
        return body

    async def _fail(self, outcome: Outcome, req: ExecuteRequest, started: float) -> dict[str, Any]:
        latency_ms = (time.perf_counter() - started) * 1000
        body = build_result(outcome, req, latency_ms, self.redact)
        self.planning.metrics.child(
            self.planning.metrics.errors, "/route/execute", "all_candidates_failed"
        ).inc()
        rule = outcome.work.plan.controls.rule
        last_model = outcome.attempts[-1].model if outcome.attempts else None
        self.planning.metrics.slo.count_execute(None, rule, False)
        await self._audit(outcome, req, body["audit"])
        self.planning.bus.publish(
            "error",
            {
                "route": "/route/execute",
                "code": "all_candidates_failed",
                "audit_id": outcome.audit_id,
                "attempts": len(outcome.attempts),
                # what an SLO evaluator needs to count the failed execute
                "model": last_model,
                "rule": rule,
                "latency_ms": round(latency_ms, 1),
            },
        )
        raise UpstreamFailedError(
            f"every candidate failed ({len(outcome.attempts)} attempts); see audit.attempts",
            detail={"audit_id": outcome.audit_id, "audit": body["audit"]},
        )

    async def _audit(
        self, outcome: Outcome, req: ExecuteRequest, audit_body: dict[str, Any]
    ) -> None:
        if self.audit is None:
            return
        if outcome.fell_back:
            await self.audit.append(
                "route.fallback",
                {
                    "plan_id": outcome.work.plan_id,
                    "from": outcome.work.plan.primary.name if outcome.work.plan.primary else None,
                    "to": outcome.model,
                    "attempts": audit_body["attempts"],
                },
                actor=req.actor,
                tenant=outcome.tenant,
            )
        if outcome.stopped_reason == "cost_cap":
            await self.audit.append(
                "route.cost_cap",
                {
                    "plan_id": outcome.work.plan_id,
                    "model": outcome.model,
                    "cost_usd": outcome.cost_usd,
                    "usd_cap": req.cost_guard.usd_cap,
                },
                actor=req.actor,
                tenant=outcome.tenant,
            )
        await self.audit.append(
            "route.execute", audit_body, actor=req.actor, tenant=outcome.tenant, id=outcome.audit_id
        )

    async def aclose(self) -> None:
        await self.accountant.drain()
