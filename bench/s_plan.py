"""Scenario 2: /route/plan vs a bare FastAPI endpoint, and in-process planner decision time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from bench import synthetic
from bench.loadgen import LoadGenerator, LoadResult
from bench.pyload import percentile
from bench.scale import Scale
from bench.stack import Stack
from symphony.routing.planner import PlanContext, plan
from symphony.routing.request import PlanRequest

PLAN_BODY = orjson.dumps({"task": "chat", "input": "Summarise the rate-limit rules", "loa": 1})
EVENTS_PER_MODEL = 100


def http_concurrency(scale: Scale) -> int:
    return 32 if 32 in scale.concurrency else max(scale.concurrency)


def run_plan(
    stack: Stack, gen: LoadGenerator, scale: Scale, log: Callable[[str], None]
) -> dict[str, Any]:
    conc = http_concurrency(scale)
    targets = {
        "route-plan": (f"{stack.symphony.base}/route/plan", stack.auth.client),
        "bare": (f"{stack.bare.base}/bare", {}),
    }
    if scale.warmup_s > 0:
        for url, headers in targets.values():
            gen.run(url, PLAN_BODY, concurrency=conc, duration_s=scale.warmup_s, headers=headers)
    best: dict[str, LoadResult] = {}
    for rep in range(scale.repeats):
        for name, (url, headers) in targets.items():
            r = gen.run(url, PLAN_BODY, concurrency=conc, duration_s=scale.cell_s, headers=headers)
            if name not in best or (r.errors, -r.rps) < (best[name].errors, -best[name].rps):
                best[name] = r
            log(f"plan c={conc} {name} run {rep + 1}: {r.rps:,.0f} req/s errors {r.errors}")
    ratio = best["route-plan"].rps / best["bare"].rps if best["bare"].rps else 0.0
    return {
        "http": {
            "concurrency": conc,
            "route_plan": best["route-plan"].to_dict(),
            "bare": best["bare"].to_dict(),
            "ratio": round(ratio, 3),
        },
        "planner": [_time_planner(n, scale, log) for n in scale.planner_sizes],
    }


def _time(fn: Callable[[], object], budget_s: float, min_iter: int = 5) -> list[float]:
    """Call `fn` until `budget_s` is spent (at least `min_iter` times); seconds per call."""
    samples: list[float] = []
    end = time.perf_counter() + budget_s
    while len(samples) < min_iter or time.perf_counter() < end:
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
        if len(samples) >= 200_000:
            break
    return samples


def _time_planner(models: int, scale: Scale, log: Callable[[str], None]) -> dict[str, Any]:
    snap = synthetic.snapshot(models)
    index = synthetic.usage(models, models * EVENTS_PER_MODEL, days=1.0)
    states = synthetic.states(snap, index)
    ctx = PlanContext(snapshot=snap, states=states, now=synthetic.NOW)
    req = PlanRequest(task="chat", input="Summarise the rate-limit rules " * 4, loa=1)
    plan(req, ctx)  # warm caches (zoneinfo, describe)
    decide = [x * 1e6 for x in _time(lambda: plan(req, ctx), scale.planner_budget_s)]
    # What PlanningService does per request: window states for every model, then plan.
    both = [
        x * 1e6
        for x in _time(
            lambda: plan(
                req,
                PlanContext(snapshot=snap, states=synthetic.states(snap, index), now=synthetic.NOW),
            ),
            scale.planner_budget_s,
        )
    ]
    p50 = percentile(decide, 50)
    row = {
        "models": models,
        "iterations": len(decide),
        "plan_p50_us": round(p50, 1),
        "plan_p99_us": round(percentile(decide, 99), 1),
        "plan_per_model_us": round(p50 / models, 2),
        "states_plus_plan_p50_us": round(percentile(both, 50), 1),
        "states_plus_plan_p99_us": round(percentile(both, 99), 1),
        "states_plus_plan_per_model_us": round(percentile(both, 50) / models, 2),
    }
    log(
        f"planner {models} models: plan p50 {p50:.0f} µs, "
        f"states+plan p50 {row['states_plus_plan_p50_us']:.0f} µs"
    )
    return row
