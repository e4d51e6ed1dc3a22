"""The running tally of one execution (attempts, cost, usage) and the result built from it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from symphony.execute.planning import PlannedWork
from symphony.execute.request import Attempt, ExecuteRequest, Sampling
from symphony.execute.result import AppliedControls, ExecuteAudit, ExecuteResult, ModelChoice
from symphony.providers.base import Usage
from symphony.providers.chat import Choice
from symphony.routing.candidate import Candidate

__all__ = ["Outcome"]


@dataclass(slots=True)
class Outcome:
    """Mutable while the work runs; `result()` freezes it into an `ExecuteResult`."""

    work: PlannedWork
    audit_id: str
    tenant: str
    attempts: list[Attempt] = field(default_factory=list)
    candidate: Candidate | None = None
    answer: str = ""
    finish_reason: str | None = None
    stopped_reason: str | None = None
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    done: bool = False
    choices: tuple[Choice, ...] = ()
    deadline: float = float("inf")  # loop.time() by which the whole execution ends
    deadline_s: float = 0.0  # the same, as the seconds it was given

    def left_s(self) -> float:
        """Seconds until the deadline (negative once it passed)."""
        return self.deadline - asyncio.get_running_loop().time()

    def add_cost(self, cost: float, usage: Usage) -> None:
        """Add one attempt's cost and usage."""
        self.cost_usd += cost
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens

    def finish(
        self,
        candidate: Candidate,
        answer: str,
        finish_reason: str | None,
        stopped_reason: str | None = None,
        choices: tuple[Choice, ...] = (),
    ) -> None:
        """Record the answer (every choice, tool calls included) and the model that gave it."""
        self.candidate = candidate
        self.answer = answer
        self.finish_reason = finish_reason
        self.stopped_reason = stopped_reason
        self.choices = choices or (Choice(0, answer, finish_reason),)
        self.done = True

    @property
    def model(self) -> str | None:
        return None if self.candidate is None else self.candidate.name

    @property
    def fell_back(self) -> bool:
        primary = self.work.plan.primary
        return (
            self.candidate is not None
            and primary is not None
            and self.candidate.name != primary.name
        )

    def reason(self) -> str:
        """Why this model answered, in words."""
        c = self.candidate
        if c is None:
            return "no candidate succeeded"
        if self.fell_back:
            failed = sorted({a.model for a in self.attempts if a.outcome == "error"})
            return f"fallback after {', '.join(failed)} failed; " + "; ".join(c.why[:2])
        return "; ".join(c.why[:3])

    def logs(self, redact: Callable[[str], str]) -> tuple[str, ...]:
        """One line for the plan, one per attempt (failed attempts' upstream text redacted)."""
        plan = self.work.plan
        primary_name = plan.primary.name if plan.primary else "none"
        lines = [
            f"plan {self.work.plan_id}: primary {primary_name},"
            f" fallbacks {', '.join(f.name for f in plan.fallbacks) or 'none'}"
        ]
        # A failed attempt's reason carries upstream text (errors may echo the prompt): mask
        # secrets/PII there. Successful attempts' reasons are our own finish-reason words, and
        # the plan line holds only ids and policy model names: nothing to mask, nothing to pay.
        for i, a in enumerate(self.attempts):
            why = a.reason[:160]
            if a.outcome != "ok":
                why = redact(why)
            lines.append(f"attempt {i + 1}: {a.model} {a.outcome} ({why})")
        return tuple(lines)

    def redacted_attempts(self, redact: Callable[[str], str]) -> tuple[Attempt, ...]:
        """The attempts with failed ones' upstream text redacted: the result, the 502 body,
        a /v1 stream's error event and the audit record all quote `reason`."""
        out: list[Attempt] = []
        for attempt in self.attempts:
            reason = attempt.reason if attempt.outcome == "ok" else redact(attempt.reason)
            out.append(attempt if reason == attempt.reason else replace(attempt, reason=reason))
        return tuple(out)

    def result(
        self, req: ExecuteRequest, latency_ms: float, redact: Callable[[str], str]
    ) -> ExecuteResult:
        """Freeze the tally into the typed result (numbers rounded as published)."""
        c = self.candidate
        work = self.work
        choice = ModelChoice(
            model=c.name if c else None,
            provider=c.spec.provider if c else None,
            reason=self.reason(),
        )
        controls = work.plan.controls
        sampling = req.sampling
        latency = round(latency_ms, 1)
        return ExecuteResult(
            audit_id=self.audit_id,
            latency_ms=latency,
            answer=self.answer,
            choices=self.choices,
            logs=self.logs(redact),
            decision=choice,
            controls=AppliedControls(
                model=choice,
                sampling=Sampling(
                    temperature=sampling.temperature
                    if sampling.temperature is not None
                    else controls.temperature,
                    top_p=sampling.top_p,
                    max_tokens=sampling.max_tokens or controls.tokens_max,
                ),
                cost_guard=req.cost_guard,
                retry=req.retry,
                routing=controls,
            ),
            audit=ExecuteAudit(
                audit_id=self.audit_id,
                plan_id=work.plan_id,
                policy_version=work.snapshot.version,
                latency_ms=latency,
                cost_usd=round(self.cost_usd, 8),
                usage=Usage(self.prompt_tokens, self.completion_tokens),
                attempts=self.redacted_attempts(redact),
                stopped_reason=self.stopped_reason,
                model=choice.model,
                finish_reason=self.finish_reason,
                tool_calls=sum(len(c.tool_calls) for c in self.choices),
                tags=_tags(req),
            ),
        )


def _tags(req: ExecuteRequest) -> dict[str, str] | None:
    """What the client said about the call for its own tracking: metadata and end user."""
    tags = dict(req.tags or {})
    if req.options.user is not None:
        tags["user"] = req.options.user
    return tags or None
