"""Scenario 1: execute overhead - direct vs floor proxy vs Symphony (fixed model, auto)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from bench.loadgen import LoadGenerator, LoadResult
from bench.scale import Scale
from bench.stack import FIXED_MODEL, UPSTREAM_MODEL, Stack

TARGETS = ("direct", "floor", "symphony-fixed", "symphony-auto")
MODES = ("non-stream", "stream")
VALIDITY_FACTOR = 5.0
PROMPT = "Benchmark: please say hello to the control tower in five words"


def chat_body(model: str, stream: bool) -> bytes:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 16,
    }
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def endpoints(stack: Stack, stream: bool) -> dict[str, tuple[str, bytes, dict[str, str]]]:
    """Per target: URL, body and headers (the same request shape everywhere)."""
    sym = f"{stack.symphony.base}/v1/chat/completions"
    return {
        "direct": (f"{stack.sim_openai}/chat/completions", chat_body(UPSTREAM_MODEL, stream), {}),
        "floor": (f"{stack.floor.base}/v1/chat/completions", chat_body(UPSTREAM_MODEL, stream), {}),
        "symphony-fixed": (sym, chat_body(FIXED_MODEL, stream), stack.auth.client),
        "symphony-auto": (sym, chat_body("auto", stream), stack.auth.client),
    }


def _better(a: LoadResult | None, b: LoadResult) -> LoadResult:
    if a is None:
        return b
    # Fewer errors first, then throughput.
    return b if (b.errors, -b.rps) < (a.errors, -a.rps) else a


def run_execute(
    stack: Stack, gen: LoadGenerator, scale: Scale, log: Callable[[str], None]
) -> dict[str, Any]:
    best: dict[tuple[str, int, str], LoadResult] = {}
    runs: dict[tuple[str, int, str], list[float]] = {}
    for mode in MODES:
        targets = endpoints(stack, mode == "stream")
        if scale.warmup_s > 0:
            for target, (url, body, headers) in targets.items():
                log(f"execute {mode}: warm-up {target}")
                gen.run(url, body, concurrency=32, duration_s=scale.warmup_s, headers=headers)
        for rep in range(scale.repeats):
            for conc in scale.concurrency:
                for target, (url, body, headers) in targets.items():
                    result = gen.run(
                        url, body, concurrency=conc, duration_s=scale.cell_s, headers=headers
                    )
                    key = (mode, conc, target)
                    best[key] = _better(best.get(key), result)
                    runs.setdefault(key, []).append(round(result.rps, 1))
                    log(
                        f"execute {mode} c={conc} {target} run {rep + 1}: {result.rps:,.0f} req/s "
                        f"p50 {result.p50_ms:.2f} ms errors {result.errors}"
                    )
    cells = _cells(best, runs, scale)
    validity = _validity(best, scale)
    ttfb = _ttfb(stack, gen, scale, log)
    return {
        "cells": cells,
        "validity": validity,
        "valid": all(v["ok"] for v in validity),
        "ttfb": ttfb,
        "errors_total": sum(c["errors"] for c in cells),
    }


def _cells(
    best: dict[tuple[str, int, str], LoadResult],
    runs: dict[tuple[str, int, str], list[float]],
    scale: Scale,
) -> list[dict[str, Any]]:
    cells = []
    for mode in MODES:
        for conc in scale.concurrency:
            direct = best[(mode, conc, "direct")]
            floor = best[(mode, conc, "floor")]
            for target in TARGETS:
                r = best[(mode, conc, target)]
                row = {
                    "mode": mode,
                    "target": target,
                    **r.to_dict(),
                    "runs_rps": runs[(mode, conc, target)],
                }
                row["added_p50_ms"] = (
                    None if target == "direct" else round(r.p50_ms - direct.p50_ms, 3)
                )
                row["ratio_vs_floor"] = (
                    round(r.rps / floor.rps, 3)
                    if target.startswith("symphony") and floor.rps
                    else None
                )
                cells.append(row)
    return cells


def _validity(best: dict[tuple[str, int, str], LoadResult], scale: Scale) -> list[dict[str, Any]]:
    """The upstream hit directly must sustain >= 5x Symphony's rate at the same concurrency."""
    checks = []
    for mode in MODES:
        for conc in scale.concurrency:
            direct = best[(mode, conc, "direct")].rps
            sym = max(best[(mode, conc, t)].rps for t in ("symphony-fixed", "symphony-auto"))
            ratio = direct / sym if sym else float("inf")
            checks.append(
                {
                    "mode": mode,
                    "concurrency": conc,
                    "direct_rps": round(direct, 1),
                    "symphony_rps": round(sym, 1),
                    "ratio": round(ratio, 2),
                    "ok": ratio >= VALIDITY_FACTOR,
                }
            )
    return checks


def _ttfb(
    stack: Stack, gen: LoadGenerator, scale: Scale, log: Callable[[str], None]
) -> dict[str, Any]:
    """Streaming time to first byte / first token at c=1 (Python probe, best of repeats)."""
    out: dict[str, Any] = {}
    for target, (url, body, headers) in endpoints(stack, True).items():
        best: dict[str, Any] | None = None
        for _ in range(scale.repeats):
            data = gen.ttfb(url, body, requests=scale.ttfb_requests, headers=headers)
            if best is None or data["ttfb_p50_ms"] < best["ttfb_p50_ms"]:
                best = data
        assert best is not None
        out[target] = {k: round(v, 3) if isinstance(v, float) else v for k, v in best.items()}
        log(
            f"ttfb {target}: p50 {best['ttfb_p50_ms']:.2f} ms "
            f"(first token {best['ttft_p50_ms']:.2f} ms)"
        )
    direct = out["direct"]
    for target in TARGETS[1:]:
        out[target]["added_ttfb_p50_ms"] = round(
            out[target]["ttfb_p50_ms"] - direct["ttfb_p50_ms"], 3
        )
        out[target]["added_ttft_p50_ms"] = round(
            out[target]["ttft_p50_ms"] - direct["ttft_p50_ms"], 3
        )
    return out
