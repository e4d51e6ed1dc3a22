"""After an attempt: usage to the ledger, headers to the window engine, numbers to metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from symphony.events.bus import EventBus
from symphony.events.facts import RateLimited, WindowUpdated
from symphony.execute.admission import Admitted
from symphony.metrics.registry import Metrics
from symphony.policy.model import ModelSpec
from symphony.providers.base import Usage
from symphony.providers.errors import ProviderError
from symphony.routing.stats import LatencyStats
from symphony.windows.headers import (
    parse_gemini_429_body,
    parse_rate_limit_headers,
    parse_retry_after,
)
from symphony.windows.service import WindowService
from symphony.windows.usage import UsageEvent

T = TypeVar("T")

log = logging.getLogger("symphony.execute")
ANNOUNCE_INTERVAL = timedelta(seconds=1)
PARSE_INTERVAL = timedelta(milliseconds=250)


def _says_empty(headers: Mapping[str, str]) -> bool:
    """A cheap look for an exhausted limit ("remaining: 0") without full parsing."""
    return any(value == "0" and "remaining" in name for name, value in headers.items())


def cost_of(spec: ModelSpec, usage: Usage) -> float:
    return spec.price.cost(usage.prompt_tokens, usage.completion_tokens) if spec.price else 0.0


class Accountant:
    def __init__(
        self, windows: WindowService, bus: EventBus, metrics: Metrics, stats: LatencyStats
    ) -> None:
        self.windows = windows
        self.bus = bus
        self.metrics = metrics
        self.stats = stats
        self._background: set[asyncio.Task[Any]] = set()
        self._announced: dict[str, datetime] = {}
        self._parsed: dict[str, datetime] = {}

    async def record_usage(
        self, spec: ModelSpec, tenant: str, usage: Usage, now: datetime, audit_id: str | None
    ) -> float:
        """Durably count one attempt's usage against the model's windows; returns its cost."""
        cost = cost_of(spec, usage)
        await self.windows.record(
            UsageEvent(
                at=now,
                model=spec.name,
                tenant=tenant,
                requests=1,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_usd=cost,
                audit_id=audit_id,
            )
        )
        self.metrics.child(self.metrics.tokens, spec.name, tenant, "prompt").inc(
            usage.prompt_tokens
        )
        self.metrics.child(self.metrics.tokens, spec.name, tenant, "completion").inc(
            usage.completion_tokens
        )
        if cost:
            self.metrics.child(self.metrics.cost, spec.name, tenant).inc(cost)
        return cost

    def record_in_background(
        self,
        spec: ModelSpec,
        tenant: str,
        usage: Usage,
        now: datetime,
        audit_id: str | None,
        admitted: Admitted | None = None,
    ) -> None:
        """For a cancelled request: finish the accounting even though the caller is gone
        (then settle its reservation: the units count in the ledger before they are freed)."""

        async def record() -> None:
            try:
                cost = await self.record_usage(spec, tenant, usage, now, audit_id)
                if admitted is not None:
                    await admitted.settle(usage, cost)
            finally:
                if admitted is not None:
                    await admitted.release()

        self.in_background(record())

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` to its end although the request that started it is gone."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def shielded(self, work: Coroutine[Any, Any, T]) -> T:
        """Await `work`; if the caller is cancelled meanwhile, `work` still runs to its end
        in the background (and `drain` waits for it)."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return await asyncio.shield(task)

    async def drain(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def learn_headers(
        self, spec: ModelSpec, headers: Mapping[str, str], now: datetime
    ) -> None:
        # Only header-driven and dynamic windows take their numbers from response headers
        # (the engine ignores API header readings for configured rolling/fixed windows), and
        # usage since an observation is subtracted anyway: parse at most every 250 ms per
        # model, at once when a header says nothing is left.
        if not headers or spec.quota.type not in ("header_driven", "dynamic"):
            return
        last = self._parsed.get(spec.name)
        if last is not None and last <= now < last + PARSE_INTERVAL and not _says_empty(headers):
            return
        self._parsed[spec.name] = now
        obs = parse_rate_limit_headers(headers, now)
        if obs is None or obs.binding() is None:
            return
        learned = await self.windows.observe_headers(spec.name, obs, now)
        if (
            learned is not None
            and spec.quota.type in ("header_driven", "dynamic")
            and self._announce_due(spec.name, learned.remaining, now)
        ):
            self.bus.emit(
                WindowUpdated(
                    model=spec.name,
                    source="headers",
                    remaining=learned.remaining,
                    cap=learned.cap,
                    resets_at=None if learned.resets_at is None else learned.resets_at.isoformat(),
                )
            )

    def _announce_due(self, model: str, remaining: float | None, now: datetime) -> bool:
        """Every response carries headers: announce a model's window at most once a second,
        but at once when it runs out (consoles and agents react to that)."""
        last = self._announced.get(model)
        if remaining == 0 or last is None or not (last <= now < last + ANNOUNCE_INTERVAL):
            self._announced[model] = now
            return True
        return False

    async def on_error(
        self, spec: ModelSpec, err: ProviderError, now: datetime, tenant: str
    ) -> float | None:
        """Learn from a failed attempt; return the upstream's Retry-After (seconds) if any."""
        self.metrics.child(self.metrics.attempts, spec.name, err.kind).inc()
        retry_after = parse_retry_after(err.headers, now) if err.headers else None
        obs = parse_rate_limit_headers(err.headers, now) if err.headers else None
        if obs is None and err.protocol == "gemini" and err.body:
            obs = parse_gemini_429_body(err.body, now)
        if obs is not None:
            retry_after = retry_after if retry_after is not None else obs.retry_after_s
            if obs.binding() is not None:
                await self.windows.observe_headers(spec.name, obs, now)
        if err.kind in ("rate_limited", "unavailable", "timeout", "quota_exhausted"):
            learned = await self.windows.cooldown(spec.name, now, retry_after)
            until = learned.cooldown_until
            cooldown_until = None if until is None else until.isoformat()
            if err.kind == "rate_limited":
                self.bus.emit(
                    RateLimited(
                        scope="upstream",
                        model=spec.name,
                        tenant=tenant,
                        kind=err.kind,
                        status=err.status,
                        retry_after_s=retry_after,
                        cooldown_until=cooldown_until,
                    )
                )
            self.bus.emit(
                WindowUpdated(
                    model=spec.name,
                    source="headers" if obs else "errors",
                    tenant=tenant,
                    kind=err.kind,
                    status=err.status,
                    retry_after_s=retry_after,
                    cooldown_until=cooldown_until,
                )
            )
        return retry_after

    async def on_success(self, spec: ModelSpec, latency_ms: float) -> None:
        self.metrics.child(self.metrics.attempts, spec.name, "ok").inc()
        self.stats.observe(spec.name, latency_ms)
        await self.windows.succeeded(spec.name)
