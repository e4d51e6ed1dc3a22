"""Background probes of every upstream; `/status/health.json` answers from their cache."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from symphony.clock import Clock
from symphony.policy.store import PolicyStore
from symphony.providers.credentials import Credentials
from symphony.providers.health import probe_all

log = logging.getLogger("symphony")


class HealthProbes:
    """Probes upstreams on an interval and keeps the latest result per service."""

    def __init__(
        self,
        policy: PolicyStore,
        credentials: Credentials,
        clock: Clock,
        results: dict[str, dict[str, Any]],
        *,
        interval_s: float,
        timeout_s: float,
    ) -> None:
        self.policy = policy
        self.credentials = credentials
        self.clock = clock
        self.results = results
        self.interval_s = interval_s
        self.timeout_s = timeout_s

    async def probe(self) -> None:
        """Probe every upstream once and record the results."""
        self.results.update(
            await probe_all(self.policy.snapshot, self.credentials, self.clock, self.timeout_s)
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Probe now, then every `interval_s`, until `stop` is set."""
        while not stop.is_set():
            try:
                await self.probe()
            except Exception:  # a probe failure must never kill the loop
                log.exception("health probe failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
