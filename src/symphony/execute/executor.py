"""Run planned work: primary, retries with backoff, fallbacks, cost guard, streaming.

Every attempt's usage is accounted (also when a client disconnects mid-stream), every
decision is audited before the caller is answered, and all failures end in a 502 that
lists each attempt, never a bare 500. `run` and `stream` share the fallback loop
(`_tries`) and the attempt (`attempt.Try`); they differ only in the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any, NoReturn

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.errors import NoEligibleModelError, UpstreamFailedError
from symphony.events.facts import RouteExecuted, RouteFailed
from symphony.execute.accounting import Accountant
from symphony.execute.admission import Gate
from symphony.execute.attempt import Try, complete
from symphony.execute.embedding import EmbedCall, embed_attempt
from symphony.execute.evidence import Gathered, WebEvidence
from symphony.execute.outcome import Outcome
from symphony.execute.planning import PlannedWork, PlanningService
from symphony.execute.request import MIN_TIMEOUT_S, Attempt, ExecuteRequest
from symphony.execute.result import ExecuteEvent, ExecuteResult, Finished
from symphony.execute.streaming import StreamAttempt
from symphony.kit.ids import new_id
from symphony.policy.model import ModelSpec
from symphony.providers.base import ChatRequest
from symphony.providers.embed import Embeddings
from symphony.providers.pool import ProviderPool
from symphony.routing.candidate import Candidate

__all__ = ["AuditSink", "Executor"]


class Executor:
    """Plans with the execute controls, runs the attempts, concludes or fails.

    Every collaborator is required: `audit` receives one record per execution (and its
    fallback and cost-cap records) before the caller is answered; `redact` masks upstream
    text in the result's `logs`.
    """

    def __init__(
        self,
        planning: PlanningService,
        pool: ProviderPool,
        clock: Clock,
        audit: AuditSink,
        redact: Callable[[str], str],
        evidence: WebEvidence,
        *,
        deadline_s: float,
        max_response_bytes: int,
    ) -> None:
        self.planning = planning
        self.evidence = evidence
        self.max_response_bytes = max_response_bytes  # per upstream answer
        self.deadline_s = deadline_s  # when neither the request nor the policy sets one
        self.pool = pool
        self.clock = clock
        self.audit = audit
        self.redact = redact
        self.accountant = Accountant(
            planning.windows, planning.bus, planning.metrics, planning.stats
        )
        self.gate = Gate(planning)

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
        return self.planning.plan(replace(req.plan, overrides=overrides))

    def chat_request(self, spec: ModelSpec, req: ExecuteRequest, work: PlannedWork) -> ChatRequest:
        """The upstream request for one candidate: the request's sampling, else the plan's."""
        endpoint = spec.endpoint
        if endpoint is None:  # the planner denies these (no_endpoint); never a bare 500
            raise NoEligibleModelError(f"model {spec.name} has no endpoint: it cannot execute")
        controls = work.plan.controls
        # No invented limit: the client's, else the model's policy default, else none.
        return ChatRequest(
            model=endpoint.model,
            messages=req.messages,
            max_tokens=req.sampling.max_tokens or controls.tokens_max or spec.max_tokens,
            temperature=req.sampling.temperature
            if req.sampling.temperature is not None
            else controls.temperature,
            top_p=req.sampling.top_p,
            timeout_s=req.timeout_s,
            options=req.options,
            max_tokens_param=spec.max_tokens_param,
            output_limit=spec.max_output_tokens,
            max_response_bytes=self.max_response_bytes,
        )

    @staticmethod
    def candidates(work: PlannedWork) -> list[Candidate]:
        """The primary, then the fallbacks, in plan order."""
        if work.plan.primary is None:  # the planner raises first; never a bare 500
            raise NoEligibleModelError(f"plan {work.plan_id} has no eligible model")
        return [work.plan.primary, *work.plan.fallbacks]

    def _start(self, req: ExecuteRequest) -> Outcome:
        """Plan (plan errors raise here, before any call) and open the tally."""
        work = self.plan(req)
        deadline_s = req.deadline_s or work.snapshot.defaults.timeout_s or self.deadline_s
        return Outcome(
            work=work,
            audit_id=req.audit_id or new_id("aud"),
            tenant=req.plan.tenant,
            deadline=asyncio.get_running_loop().time() + deadline_s,
            deadline_s=deadline_s,
        )

    def _tries(self, req: ExecuteRequest, outcome: Outcome) -> Iterator[Try]:
        """The fallback loop: each candidate in plan order, each up to `max_attempts` times;
        it ends when an attempt is `done` (conclude) or every candidate failed (fail)."""
        for candidate in self.candidates(outcome.work):
            chat = self.chat_request(candidate.spec, req, outcome.work)
            for number in range(req.retry.max_attempts):
                left = outcome.left_s()
                if left < MIN_TIMEOUT_S:  # nothing more starts after the deadline
                    outcome.attempts.append(
                        Attempt(
                            candidate.name,
                            "error",
                            None,
                            0.0,
                            f"the deadline of {outcome.deadline_s:g}s passed before this attempt",
                            "timeout",
                        )
                    )
                    return
                bounded = replace(chat, timeout_s=min(chat.timeout_s, left))
                attempt = Try(self.accountant, self.clock, outcome, req, candidate, bounded, number)
                yield attempt
                if attempt.done:
                    return
                if not attempt.retry:
                    break

    # --- the two calls ----------------------------------------------------------------
    async def run(self, req: ExecuteRequest) -> ExecuteResult:
        """Run the work to its answer (non-streaming); raise UpstreamFailedError if none."""
        started = time.perf_counter()
        found: Gathered | None = None
        if req.web is not None:  # no evidence step (no await) for the common request
            req, found = await self.evidence.gather(req)
        outcome = self._start(req)
        try:
            for attempt in self._tries(req, outcome):
                if not await self._admit(attempt):
                    continue
                try:
                    await complete(attempt, self.pool.for_model(attempt.spec))
                finally:
                    await attempt.release()
        except asyncio.CancelledError:  # the client hung up mid-call: still on the record
            self._conclude_in_background(outcome, req, started)
            raise
        result = await self._conclusion(outcome, req, started)
        if found is None:
            return result
        return await self.evidence.conclude(result, found, req, self.redact)

    async def embed(self, req: ExecuteRequest, call: EmbedCall) -> tuple[ExecuteResult, Embeddings]:
        """Embed `call.inputs` with the planned embedding models (the same loop as `run`)."""
        started = time.perf_counter()
        outcome = self._start(req)
        got: Embeddings | None = None
        for attempt in self._tries(req, outcome):
            if not await self._admit(attempt):
                continue
            spec = attempt.spec
            try:
                found = await embed_attempt(
                    attempt, self.pool.for_model(spec), call.request_for(spec, req.timeout_s)
                )
            finally:
                await attempt.release()
            got = found or got
        if not outcome.done or got is None:
            await self.accountant.shielded(self._fail(outcome, req, started))
        return await self._conclusion(outcome, req, started), got

    async def stream(self, req: ExecuteRequest) -> AsyncGenerator[ExecuteEvent, None]:
        """Yield `ModelStarted` when a model starts answering, `TextDelta` pieces, then one
        `Finished` with the result. Plan errors raise before anything is yielded."""
        started = time.perf_counter()
        found: Gathered | None = None
        if req.web is not None:
            req, found = await self.evidence.gather(req)
        outcome = self._start(req)
        guard = req.cost_guard
        usd_cap = guard.usd_cap if guard.stop_on_cap else None
        killed = self.planning.killed
        concluded = False
        try:
            for attempt in self._tries(req, outcome):
                if not await self._admit(attempt):
                    continue
                relay = StreamAttempt(
                    attempt,
                    self.pool.for_model(attempt.spec),
                    killed=killed,
                    metrics=self.planning.metrics,
                    usd_cap=usd_cap,
                )
                # Closed at once (not when collected) if our consumer leaves mid-stream, so
                # the upstream is hung up and the usage so far is accounted.
                try:
                    async with contextlib.aclosing(relay.events()) as events:
                        async for event in events:
                            yield event
                finally:
                    await attempt.release()
            concluded = True
            if not outcome.done:
                await self._fail(outcome, req, started)
            result = await self._conclude(outcome, req, started)
            if found is not None:
                result = await self.evidence.conclude(result, found, req, self.redact)
            yield Finished(result)
        finally:
            if not concluded:  # the client left mid-stream: the audit record still exists
                self._conclude_in_background(outcome, req, started)

    async def _admit(self, attempt: Try) -> bool:
        """Before every attempt, retry and fallback: the kill switch and a reservation of
        its units (`execute/admission.py`); a refusal is recorded and the next candidate
        is tried."""
        outcome = attempt.outcome
        got = await self.gate.enter(attempt.candidate, outcome.tenant, may_run_s=outcome.left_s())
        if isinstance(got, str):
            attempt.refused(got)
            attempt.candidate.deny.append((refusal_code(got), got))
            return False
        attempt.admitted = got
        return True

    def _conclude_in_background(
        self, outcome: Outcome, req: ExecuteRequest, started: float
    ) -> None:
        """Write the audit record (the id the client already has) although it went away."""
        if outcome.stopped_reason is None:
            outcome.stopped_reason = "client_disconnected"
        self.accountant.in_background(self._conclude(outcome, req, started))

    # --- conclusion -----------------------------------------------------------------
    async def _conclusion(
        self, outcome: Outcome, req: ExecuteRequest, started: float
    ) -> ExecuteResult:
        """Conclude (or fail: raises) a non-streaming call; a cancellation of the caller
        (a client hang-up) does not stop it, so charged usage always has its audit record."""
        if not outcome.done:
            work: Coroutine[Any, Any, ExecuteResult] = self._fail(outcome, req, started)
        else:
            work = self._conclude(outcome, req, started)
        return await self.accountant.shielded(work)

    async def _conclude(
        self, outcome: Outcome, req: ExecuteRequest, started: float
    ) -> ExecuteResult:
        latency_ms = (time.perf_counter() - started) * 1000
        result = outcome.result(req, latency_ms, self.redact)
        model = outcome.model or "none"
        metrics = self.planning.metrics
        metrics.child(metrics.execute_latency, model, outcome.tenant).observe(latency_ms / 1000)
        metrics.child(
            metrics.decisions, model, "fallback" if outcome.fell_back else "primary"
        ).inc()
        metrics.slo.count_execute(model, outcome.work.plan.controls.rule, result_ok(outcome))
        await self._audit(outcome, req, result.audit.to_dict())
        self.planning.bus.emit(
            RouteExecuted(
                audit_id=outcome.audit_id,
                plan_id=outcome.work.plan_id,
                model=model,
                rule=outcome.work.plan.controls.rule,
                ok=result_ok(outcome),
                tenant=outcome.tenant,
                latency_ms=round(latency_ms, 1),
                cost_usd=round(outcome.cost_usd, 6),
                attempts=len(outcome.attempts),
                stopped_reason=outcome.stopped_reason,
                fallback=outcome.fell_back,
            )
        )
        return result

    async def _fail(self, outcome: Outcome, req: ExecuteRequest, started: float) -> NoReturn:
        if all(a.kind == "admission" for a in outcome.attempts):  # nothing was called
            raise NoEligibleModelError(
                "every candidate was refused before its call: "
                + "; ".join(f"{a.model}: {a.reason}" for a in outcome.attempts),
                detail=outcome.work.plan.to_dict(),
            )
        latency_ms = (time.perf_counter() - started) * 1000
        audit = outcome.result(req, latency_ms, self.redact).audit.to_dict()
        self.planning.metrics.child(
            self.planning.metrics.errors, "/route/execute", "all_candidates_failed"
        ).inc()
        self.planning.metrics.slo.count_execute(None, outcome.work.plan.controls.rule, False)
        await self._audit(outcome, req, audit)
        self.planning.bus.emit(
            RouteFailed(
                route="/route/execute",
                code="all_candidates_failed",
                audit_id=outcome.audit_id,
                attempts=len(outcome.attempts),
                model=outcome.attempts[-1].model if outcome.attempts else None,
                rule=outcome.work.plan.controls.rule,
                latency_ms=round(latency_ms, 1),
                tenant=req.plan.tenant,
            )
        )
        raise UpstreamFailedError(
            f"every candidate failed ({len(outcome.attempts)} attempts); see audit.attempts",
            detail={"audit_id": outcome.audit_id, "audit": audit},
        )

    async def _audit(
        self, outcome: Outcome, req: ExecuteRequest, audit_body: dict[str, Any]
    ) -> None:
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
        """Wait for background accounting (abandoned streams) to finish."""
        await self.accountant.drain()


def refusal_code(reason: str) -> str:
    """The plan's deny code for a refusal at admission."""
    if reason.startswith("killed"):
        return "killed"
    return "budget_exhausted" if " budget " in reason else "quota_exhausted"


def result_ok(outcome: Outcome) -> bool:
    """Whether a concluded execution counts as good for SLOs: not cut off by an upstream
    error after its answer started."""
    return outcome.stopped_reason != "upstream_error"
