"""Observed latency per model (a bounded reservoir; p95 cached until the next sample)."""

from __future__ import annotations

from collections import deque

CLASS_DEFAULT_MS = {"local": 400.0, "hosted": 1400.0}


class LatencyStats:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.samples: dict[str, deque[float]] = {}
        self._p95: dict[str, float] = {}

    def observe(self, model: str, latency_ms: float) -> None:
        bucket = self.samples.get(model)
        if bucket is None:
            bucket = self.samples[model] = deque(maxlen=self.size)
        bucket.append(latency_ms)
        self._p95.pop(model, None)

    def p95(self, model: str) -> float | None:
        cached = self._p95.get(model)
        if cached is not None:
            return cached
        bucket = self.samples.get(model)
        if not bucket:
            return None
        ordered = sorted(bucket)
        value = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]
        self._p95[model] = value
        return value
