"""Live simulator state: per-model window counters and the queue of injected faults.

Windows are fixed windows that open at the first request after the previous one expired;
time comes from an injected Clock plus an offset (`POST /_sim/advance`), so tests move time
without sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from symphony.clock import Clock
from symphony.simulator.config import SimModel, SimulatorConfig

FaultKind = Literal[
    "rate_limit",
    "error_500",
    "error_503",
    "timeout",
    "reset_mid_stream",
    "slow_drip",
    "malformed_json",
    "insufficient_quota",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
CAPTURE_LIMIT = 200
# Protocol headers worth comparing; keys themselves are never kept.
CAPTURED_HEADERS = frozenset({"anthropic-version", "anthropic-beta", "content-type", "accept"})
WEEK_S = 7 * 24 * 3600.0


@dataclass(slots=True)
class Window:
    """A fixed request/token window; `cap` or `tokens_cap` None means unlimited."""

    cap: int | None
    tokens_cap: int | None
    window_s: float
    start: float | None = None
    requests: int = 0
    tokens: int = 0

    def roll(self, now: float) -> None:
        """Close the window if it has expired at `now`."""
        if self.start is not None and now >= self.start + self.window_s:
            self.start = None
            self.requests = 0
            self.tokens = 0

    def reset_at(self, now: float) -> float:
        """Instant the window is full again (now + window when it has not opened yet)."""
        return (self.start if self.start is not None else now) + self.window_s

    def exhausted(self) -> Literal["requests", "tokens"] | None:
        """Which limit is spent, if any."""
        if self.cap is not None and self.requests >= self.cap:
            return "requests"
        if self.tokens_cap is not None and self.tokens >= self.tokens_cap:
            return "tokens"
        return None

    def count(self, now: float) -> None:
        """Count one admitted request, opening the window if needed."""
        if self.start is None:
            self.start = now
        self.requests += 1

    def remaining(self) -> int | None:
        return None if self.cap is None else max(0, self.cap - self.requests)

    def tokens_remaining(self) -> int | None:
        return None if self.tokens_cap is None else max(0, self.tokens_cap - self.tokens)

    def utilization(self) -> float:
        if not self.cap:
            return 0.0
        return min(1.0, self.requests / self.cap)


@dataclass(frozen=True, slots=True)
class LimitView:
    """What a rate-limit header needs to know about one model's windows at `now`."""

    now: float
    cap: int | None
    remaining: int | None
    reset_at: float
    tokens_cap: int | None
    tokens_remaining: int | None
    window_s: float
    utilization: float
    week_utilization: float
    week_reset_at: float


@dataclass(slots=True)
class Fault:
    """One queued fault; `count` -1 means until cleared."""

    id: int
    kind: FaultKind
    model: str | None
    count: int
    retry_after_s: float | None = None
    delay_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "model": self.model,
            "count": self.count,
            "retry_after_s": self.retry_after_s,
            "delay_s": self.delay_s,
        }


@dataclass(slots=True)
class ModelState:
    """Counters and windows of one simulated model."""

    name: str
    spec: SimModel
    window: Window
    week: Window
    requests: int = 0
    served: int = 0
    rate_limited: int = 0
    faulted: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    in_flight: int = 0  # requests whose handler has not ended yet (streams still open)
    abandoned: int = 0  # requests whose client hung up before the answer was complete

    @classmethod
    def create(cls, name: str, spec: SimModel) -> ModelState:
        weekly = spec.weekly_cap if spec.weekly_cap is not None else _times(spec.cap, 10)
        return cls(
            name=name,
            spec=spec,
            window=Window(spec.cap, spec.tokens_cap, spec.window_s),
            week=Window(weekly, None, WEEK_S),
        )

    def admit(self, now: float) -> Literal["requests", "tokens"] | None:
        """Count the request against its windows, or name the spent limit."""
        self.window.roll(now)
        self.week.roll(now)
        spent = self.window.exhausted() or self.week.exhausted()
        if spent is not None:
            self.rate_limited += 1
            return spent
        self.window.count(now)
        self.week.count(now)
        return None

    def account(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Record tokens of a served request."""
        self.served += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.window.tokens += prompt_tokens + completion_tokens

    def view(self, now: float) -> LimitView:
        """Snapshot the windows for header rendering."""
        self.window.roll(now)
        self.week.roll(now)
        return LimitView(
            now=now,
            cap=self.window.cap,
            remaining=self.window.remaining(),
            reset_at=self.window.reset_at(now),
            tokens_cap=self.window.tokens_cap,
            tokens_remaining=self.window.tokens_remaining(),
            window_s=self.window.window_s,
            utilization=self.window.utilization(),
            week_utilization=self.week.utilization(),
            week_reset_at=self.week.reset_at(now),
        )

    def retry_after(self, now: float) -> float:
        """Seconds until the binding window admits again."""
        if self.week.exhausted() is not None and self.window.exhausted() is None:
            return max(0.0, self.week.reset_at(now) - now)
        return max(0.0, self.window.reset_at(now) - now)

    def snapshot(self, now: float) -> dict[str, Any]:
        view = self.view(now)
        return {
            "protocol": self.spec.protocol,
            "header_style": self.spec.header_style,
            "requests": self.requests,
            "served": self.served,
            "rate_limited": self.rate_limited,
            "faulted": self.faulted,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "in_flight": self.in_flight,
            "abandoned": self.abandoned,
            "window": {
                "cap": view.cap,
                "remaining": view.remaining,
                "tokens_cap": view.tokens_cap,
                "tokens_remaining": view.tokens_remaining,
                "window_s": view.window_s,
                "reset_in_s": round(view.reset_at - now, 3),
            },
        }


def _times(value: int | None, factor: int) -> int | None:
    return None if value is None else value * factor


@dataclass
class SimState:
    """Everything the running simulator mutates; one per app."""

    config: SimulatorConfig
    clock: Clock
    models: dict[str, ModelState] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    offset_s: float = 0.0
    next_id: int = 0
    captured: list[dict[str, Any]] = field(default_factory=list)  # newest last

    def __post_init__(self) -> None:
        self.reset()

    def now(self) -> float:
        """Epoch seconds of the simulator's clock (wall clock plus any advance)."""
        return self.clock.now().timestamp() + self.offset_s

    def reset(self) -> None:
        """Forget all counters and faults (the clock offset stays)."""
        self.models = {n: ModelState.create(n, s) for n, s in self.config.models.items()}
        self.faults = []
        self.captured = []

    def capture(self, path: str, body: Any, headers: Mapping[str, str]) -> None:
        """Keep the request as the upstream received it (tests compare it field by field)."""
        kept = {k.lower(): v for k, v in headers.items() if k.lower() in CAPTURED_HEADERS}
        self.captured.append({"path": path, "body": body, "headers": kept})
        del self.captured[:-CAPTURE_LIMIT]

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_fault(
        self,
        kind: FaultKind,
        model: str | None = None,
        count: int = 1,
        retry_after_s: float | None = None,
        delay_s: float | None = None,
    ) -> Fault:
        """Queue a fault for the next `count` requests (of `model`, or any model)."""
        fault = Fault(self.new_id(), kind, model, count, retry_after_s, delay_s)
        self.faults.append(fault)
        return fault

    def take_fault(self, model: str) -> Fault | None:
        """Pop one occurrence of the first fault that applies to `model`."""
        for index, fault in enumerate(self.faults):
            if fault.model is None or fault.model == model:
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        del self.faults[index]
                return fault
        return None

    def pending_for(self, model: str) -> int:
        total = 0
        for fault in self.faults:
            if fault.model is None or fault.model == model:
                if fault.count < 0:
                    return -1
                total += fault.count
        return total

    def snapshot(self) -> dict[str, Any]:
        now = self.now()
        models = {}
        for name, state in self.models.items():
            entry = state.snapshot(now)
            entry["faults_pending"] = self.pending_for(name)
            models[name] = entry
        return {
            "now": now,
            "fast": self.config.fast,
            "models": models,
            "faults": [f.to_dict() for f in self.faults],
        }


def ceil_seconds(value: float) -> int:
    """Whole seconds for `retry-after`, at least 1."""
    return max(1, math.ceil(value))
