"""Scenario 4: SSE fan-out - many /events subscribers, events published at a steady rate."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import orjson

from bench.procs import PY, REPO
from bench.scale import Scale
from bench.stack import FIXED_MODEL, Stack


def run_sse(stack: Stack, scale: Scale, log: Callable[[str], None]) -> dict[str, Any]:
    argv = [
        PY,
        "-m",
        "bench.sse_client",
        "--base",
        stack.symphony.base,
        "--subscribers",
        str(scale.sse_subscribers),
        "--rate",
        str(scale.sse_rate),
        "--seconds",
        str(scale.sse_seconds),
        "--model",
        FIXED_MODEL,
    ]
    for name, value in stack.auth.operator.items():
        argv += ["--sub-header", f"{name}: {value}", "--pub-header", f"{name}: {value}"]
    timeout = scale.sse_seconds + 180
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.sse_client failed ({proc.returncode}): {proc.stderr[-1200:]}")
    data: dict[str, Any] = orjson.loads(proc.stdout.strip().splitlines()[-1])
    log(
        f"sse {data['connected']}/{data['subscribers']} subscribers, {data['published']} events: "
        f"p50 {data['latency_p50_ms']} ms p99 {data['latency_p99_ms']} ms dropped {data['dropped']}"
    )
    return data
