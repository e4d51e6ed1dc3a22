"""How big each scenario runs: smoke (CI, proves it runs), quick (seconds a cell), full."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Scale:
    name: str
    cell_s: float  # seconds of load per execute/plan cell
    warmup_s: float  # per target and mode, not recorded
    repeats: int  # each cell is run this many times; the best run is reported
    concurrency: tuple[int, ...]
    ttfb_requests: int
    planner_sizes: tuple[int, ...]
    planner_budget_s: float  # time spent timing each policy size
    engine_models: int
    engine_events: int
    engine_repeats: int
    sse_subscribers: int
    sse_rate: float  # events per second
    sse_seconds: float
    memory_checkpoints: tuple[int, int]
    memory_concurrency: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SMOKE = Scale(
    name="smoke",
    cell_s=1.0,
    warmup_s=0.0,
    repeats=1,
    concurrency=(4,),
    ttfb_requests=10,
    planner_sizes=(10, 100),
    planner_budget_s=0.2,
    engine_models=100,
    engine_events=5_000,
    engine_repeats=2,
    sse_subscribers=20,
    sse_rate=10.0,
    sse_seconds=1.0,
    memory_checkpoints=(100, 300),
    memory_concurrency=8,
)
QUICK = Scale(
    name="quick",
    cell_s=2.0,
    warmup_s=1.0,
    repeats=2,
    concurrency=(1, 32, 128),
    ttfb_requests=200,
    planner_sizes=(10, 100, 1_000),
    planner_budget_s=1.5,
    engine_models=1_000,
    engine_events=100_000,
    engine_repeats=5,
    sse_subscribers=1_000,
    sse_rate=10.0,
    sse_seconds=3.0,
    memory_checkpoints=(2_000, 20_000),
    memory_concurrency=32,
)
FULL = Scale(
    name="full",
    cell_s=5.0,
    warmup_s=2.0,
    repeats=2,
    concurrency=(1, 32, 128),
    ttfb_requests=500,
    planner_sizes=(10, 100, 1_000),
    planner_budget_s=3.0,
    engine_models=1_000,
    engine_events=100_000,
    engine_repeats=15,
    sse_subscribers=1_000,
    sse_rate=10.0,
    sse_seconds=10.0,
    memory_checkpoints=(10_000, 100_000),
    memory_concurrency=32,
)
SCALES = {s.name: s for s in (SMOKE, QUICK, FULL)}
