"""Scenario 3: the Model Matrix (compute_state for every model) over a large ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench import synthetic
from bench.pyload import percentile
from bench.scale import Scale


def run_engine(scale: Scale, log: Callable[[str], None]) -> dict[str, Any]:
    models, events = scale.engine_models, scale.engine_events
    started = time.perf_counter()
    snap = synthetic.snapshot(models)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    index = synthetic.usage(models, events, days=7.0)
    fill_s = time.perf_counter() - started
    synthetic.states(snap, index)  # warm-up (zoneinfo, caches)
    samples = []
    for _ in range(scale.engine_repeats):
        t0 = time.perf_counter()
        synthetic.states(snap, index)
        samples.append((time.perf_counter() - t0) * 1000.0)
    p50 = percentile(samples, 50)
    log(f"window engine {models} models / {events:,} events: matrix p50 {p50:.1f} ms")
    kinds: dict[str, int] = {}
    for spec in snap.models:
        kind = getattr(spec.quota, "type", type(spec.quota).__name__)
        kinds[str(kind)] = kinds.get(str(kind), 0) + 1
    return {
        "models": models,
        "events": events,
        "days": 7,
        "repeats": len(samples),
        "matrix_p50_ms": round(p50, 2),
        "matrix_p99_ms": round(percentile(samples, 99), 2),
        "matrix_min_ms": round(min(samples), 2),
        "per_model_us": round(p50 * 1000.0 / models, 1),
        "policy_load_s": round(load_s, 3),
        "index_fill_s": round(fill_s, 3),
        "quota_kinds": kinds,
        "schedules": len(snap.schedules),
    }
