"""Background probes of every upstream; `/status/health.json` answers from their cache."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from symphony.clock import Clock
from symphony.policy.store import PolicyStore
from symphony.providers.credentials import Credentials
from symphony.providers.health import probe_all, upstreams

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


def health_report(
    policy: PolicyStore,
    results: Mapping[str, dict[str, Any]],
    store_ok: bool,
    now: datetime,
    backends: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The health document every face serves (`/status/health.json`, the MCP `health` tool)."""
    # Every configured upstream has a key from the first request on; the background probe
    # fills in the results (a dead upstream never delays this answer).
    services = (
        {
            key: results.get(key)
            or {
                "ok": False,
                "latency_ms": None,
                "checked_at": None,
                "error": "not probed yet",
                "base_url": spec.endpoint.base_url if spec.endpoint else None,
            }
            for key, spec in upstreams(policy.snapshot).items()
        }
        if policy.loaded
        else dict(results)
    )
    return {
        "services": services,
        "policy_loaded": policy.loaded,
        "policy_version": policy.snapshot.version if policy.loaded else None,
        "store": {"ok": store_ok and all(b["ok"] for b in (backends or {}).values())},
        "backends": dict(backends or {}),
        "generated_at": now.isoformat().replace("+00:00", "Z"),
    }
