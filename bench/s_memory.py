"""Scenario 5: Symphony's RSS after N1 and N2 execute requests (growth = a leak)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import LoadGenerator
from bench.procs import Processes, rss_mb
from bench.s_execute import chat_body
from bench.scale import Scale
from bench.stack import FIXED_MODEL, Stack, start_symphony

TOP_UP = 2_000  # the last requests before a checkpoint go through the exact-count generator
MAX_CHUNK_S = 60.0
PROBE_S = 3.0


@dataclass
class Driver:
    """Send exactly-enough requests: wrk by duration for the bulk, then an exact top-up."""

    gen: LoadGenerator
    url: str
    body: bytes
    headers: dict[str, str]
    concurrency: int
    sent: int = 0
    errors: int = 0
    seconds: float = 0.0
    rps: float = 0.0  # measured by each wrk chunk
    measured: bool = False

    def until(self, target: int) -> None:
        while self.gen.tool == "wrk" and target - self.sent > TOP_UP:
            left = target - self.sent - TOP_UP / 2
            # The first chunk is short: it measures the rate the rest is sized by.
            # Size at 75 % of what is left: the rate drifts, and an overshoot cannot be undone.
            seconds = PROBE_S if not self.measured else 0.75 * left / self.rps
            seconds = min(MAX_CHUNK_S, max(1.0, seconds))
            r = self.gen.run(
                self.url,
                self.body,
                concurrency=self.concurrency,
                duration_s=seconds,
                headers=self.headers,
            )
            self._count(r.requests, r.errors, r.duration_s)
            self.rps, self.measured = max(r.rps, 1.0), True
        if target > self.sent:
            r = self.gen.run_python(
                self.url,
                self.body,
                concurrency=self.concurrency,
                requests=target - self.sent,
                headers=self.headers,
            )
            self._count(r.requests, r.errors, r.duration_s)

    def _count(self, requests: int, errors: int, seconds: float) -> None:
        self.sent += requests
        self.errors += errors
        self.seconds += seconds


def run_memory(
    stack: Stack,
    gen: LoadGenerator,
    procs: Processes,
    work: Path,
    scale: Scale,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """A fresh Symphony (its own data dir) so the request counts start at zero."""
    child, auth = start_symphony(procs, work, stack.sim.base, name="symphony-memory")
    try:
        idle, _ = rss_mb(child.pid)
        driver = Driver(
            gen,
            f"{child.base}/v1/chat/completions",
            chat_body(FIXED_MODEL, False),
            auth.client,
            scale.memory_concurrency,
        )
        points: list[dict[str, Any]] = [{"requests": 0, "rss_mb": round(idle, 1)}]
        for target in scale.memory_checkpoints:
            before_sent, before_s = driver.sent, driver.seconds
            driver.until(target)
            rss, _ = rss_mb(child.pid)
            spent = driver.seconds - before_s
            rps = (driver.sent - before_sent) / spent if spent > 0 else 0.0
            points.append(
                {
                    "requests": target,
                    "sent": driver.sent,
                    "rss_mb": round(rss, 1),
                    "rps": round(rps, 1),
                }
            )
            log(f"memory after {driver.sent:,} requests: RSS {rss:.1f} MiB ({rps:,.0f} req/s)")
        _, peak = rss_mb(child.pid)
        at_first, at_second = points[1]["rss_mb"], points[2]["rss_mb"]
        growth = (at_second - at_first) / at_first * 100.0 if at_first else 0.0
        return {
            "rss_source": "/proc/<pid>/status VmRSS (peak: VmHWM)",
            "concurrency": scale.memory_concurrency,
            "load_generator": f"{gen.tool} for the bulk, python for an exact top-up",
            "points": points,
            "peak_rss_mb": round(peak, 1),
            "growth_pct": round(growth, 2),
            "errors": driver.errors,
        }
    finally:
        procs.stop(child)
