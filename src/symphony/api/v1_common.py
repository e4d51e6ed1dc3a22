"""What every `/v1` route shares: routing hints, and domain errors told the way clients read.

OpenAI's clients (and LiteLLM, LangChain…) react to particular errors: a prompt too long
for every candidate is OpenAI's own 400 `context_length_exceeded`, so their context
fallbacks work; a field no candidate's protocol can honour is a 400 `unsupported_parameter`
naming it. Any other "no eligible model" stays a 409 whose message lists the reasons
(these bodies have no candidates list to point to).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from symphony.api.errors import Problem
from symphony.api.security import actor_of, default_tenant
from symphony.errors import NoEligibleModelError, SymphonyError
from symphony.execute.request import MAX_DEADLINE_S, MIN_TIMEOUT_S, ExecuteRequest, Sampling
from symphony.policy.model import ModelSpec, PolicySnapshot
from symphony.providers.base import ChatMessage
from symphony.providers.chat import ChatOptions
from symphony.providers.features import prompt_chars, requirements
from symphony.routing.request import Overrides, PlanRequest

__all__ = ["Hints", "hints", "param_of", "resolve_model", "v1_problem"]

_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


def param_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """A validation error's field path without pydantic's union-member tags
    (`input.constrained-str` is `input`, `messages[0].content.list[...][1]` is
    `messages[0].content[1]`)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or "-" in part or part in _TYPE_TAGS:
            continue
        else:
            out += f".{part}" if out else part
    return out


_LIMIT = re.compile(r"~(\d+) prompt tokens exceed the limit (\d+)")
MAX_REASONS = 6


class Hints:
    """Symphony's routing hints: from headers, else the request's metadata."""

    __slots__ = ("loa", "task", "tenant", "timeout_s")

    def __init__(
        self, task: str | None, loa: int, tenant: str, timeout_s: float | None = None
    ) -> None:
        self.task = task
        self.loa = loa
        self.tenant = tenant
        self.timeout_s = timeout_s  # x-symphony-timeout-s: the overall deadline


class HintError(ValueError):
    """A routing-hint header that cannot be read; `header` names it."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


def timeout_hint(text: str | None) -> float | None:
    """`x-symphony-timeout-s`: seconds within [0.1, 3600], else HintError."""
    if text is None:
        return None
    try:
        value = float(text[:32])
    except ValueError:
        value = float("nan")
    if not MIN_TIMEOUT_S <= value <= MAX_DEADLINE_S:
        raise HintError(
            TIMEOUT_HEADER,
            f"{TIMEOUT_HEADER} must be seconds between {MIN_TIMEOUT_S:g} and"
            f" {MAX_DEADLINE_S:g}, got '{text[:32]}'",
        )
    return value


TIMEOUT_HEADER = "x-symphony-timeout-s"


def hints(request: Request, metadata: dict[str, Any] | None) -> Hints:
    """Read `x-symphony-task|loa|tenant` (or metadata task/loa/tenant); ValueError if bad."""
    meta = metadata or {}
    task = request.headers.get("x-symphony-task") or meta.get("task")
    loa_text = request.headers.get("x-symphony-loa") or meta.get("loa") or "1"
    tenant = (
        request.headers.get("x-symphony-tenant") or meta.get("tenant") or default_tenant(request)
    )
    if not str(loa_text).isdigit() or len(str(loa_text)) > 3:
        raise HintError(
            "x-symphony-loa", f"x-symphony-loa must be an integer, got '{str(loa_text)[:20]}'"
        )
    timeout_s = timeout_hint(request.headers.get(TIMEOUT_HEADER))
    return Hints(str(task) if task else None, int(loa_text), str(tenant), timeout_s)


def resolve_model(snapshot: PolicySnapshot, name: str, kind: str) -> ModelSpec | None:
    """The policy model `name` names: its policy name, else the one executable model of
    `kind` whose upstream id it is (Claude Code sends `claude-sonnet-4`, not a policy name)."""
    spec = snapshot.model(name)
    if spec is not None:
        return spec if spec.kind == kind else None
    found = [
        m
        for m in snapshot.models
        if m.kind == kind and m.endpoint is not None and m.endpoint.model == name
    ]
    return found[0] if len(found) == 1 else None


def _candidates(exc: NoEligibleModelError) -> list[dict[str, Any]]:
    detail = exc.detail
    found = detail.get("candidates") if isinstance(detail, dict) else None
    return [c for c in found or () if isinstance(c, dict)]


def _reasons(candidate: dict[str, Any]) -> dict[str, str]:
    return {r["code"]: r["detail"] for r in candidate.get("deny_reasons", ())}


def v1_problem(exc: SymphonyError, headers: dict[str, str] | None = None) -> Problem:
    """The Problem a `/v1` client gets for a domain error."""
    extra = headers or {}
    if not isinstance(exc, NoEligibleModelError):
        return Problem(exc.status, exc.code, exc.message, headers=extra)
    candidates = _candidates(exc)
    reasons = [_reasons(c) for c in candidates]
    if candidates and all("context_too_large" in r for r in reasons):
        sizes = [_LIMIT.search(r["context_too_large"]) for r in reasons]
        limits = [int(m.group(2)) for m in sizes if m]
        prompt = max((int(m.group(1)) for m in sizes if m), default=0)
        message = (
            f"This model's maximum context length is {max(limits, default=0)} tokens. However,"
            f" your messages resulted in about {prompt} tokens (every candidate model is"
            " smaller). Please reduce the length of the messages."
        )
        return Problem(400, "context_length_exceeded", message, param="messages", headers=extra)
    if candidates and all("field_unsupported" in r for r in reasons):
        first = reasons[0]["field_unsupported"]
        field = first.split(":", 1)[0]
        message = f"Unsupported parameter: '{field}' cannot be honoured by " + "; ".join(
            f"{c['model']} ({r['field_unsupported']})"
            for c, r in list(zip(candidates, reasons, strict=True))[:MAX_REASONS]
        )
        return Problem(400, "unsupported_parameter", message, param=field, headers=extra)
    shown = [
        f"{c['model']}: " + "; ".join(f"{code}: {d}" for code, d in r.items())
        for c, r in list(zip(candidates, reasons, strict=True))[:MAX_REASONS]
    ]
    more = len(candidates) - len(shown)
    message = exc.message.split(": every candidate")[0] + ": " + " | ".join(shown)
    if more > 0:
        message += f" | and {more} more"
    return Problem(exc.status, exc.code, message, headers=extra)


def chat_execute_request(
    request: Request,
    hint: Hints,
    messages: tuple[ChatMessage, ...],
    options: ChatOptions,
    unknown: Iterable[str],
    *,
    pinned: str | None,
    wire: str,
    stream: bool,
    sampling: Sampling,
    audit_id: str,
    tags: Mapping[str, str] | None = None,
) -> ExecuteRequest:
    """The executor's request for a chat in any client dialect (`/v1/chat/completions`,
    `/v1/messages`): a pinned model needs only its own window; `auto` plans the task."""
    needs = requirements(messages, options, unknown)
    return ExecuteRequest(
        plan=PlanRequest(
            task=hint.task or "chat",
            loa=hint.loa,
            tenant=hint.tenant,
            overrides=Overrides(),
            prompt_chars=prompt_chars(messages, options),
            pinned_model=pinned,
            enforce_task=hint.task is not None or pinned is None,
            requires=needs.capabilities,
            fields=needs.fields,
            wire=wire,
        ),
        messages=messages,
        stream=stream,
        sampling=sampling,
        deadline_s=hint.timeout_s,
        actor=actor_of(request),
        audit_id=audit_id,
        options=options,
        tags=tags,
    )
