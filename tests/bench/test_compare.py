"""`python -m bench.compare` lines interleaved runs up per build: rows, medians, spreads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from bench.compare import load, main, table


def _cell(target: str, conc: int, rps: float, **extra: float | None) -> dict[str, Any]:
    return {"mode": "non-stream", "target": target, "concurrency": conc, "rps": rps, **extra}


def _doc(load_1m: float, fixed_rps: float, ratio: float) -> dict[str, Any]:
    return {
        "machine": {"load_average_at_start": [load_1m, 1.0]},
        "scenarios": {
            "execute": {
                "cells": [
                    _cell("floor", 32, fixed_rps / ratio),
                    _cell("symphony-fixed", 32, fixed_rps, ratio_vs_floor=ratio, p50_ms=40.0),
                    _cell("symphony-fixed", 1, 100.0, added_p50_ms=2.5),
                ],
                "ttfb": {"symphony-fixed": {"added_ttfb_p50_ms": 1.25}},
            },
            "memory": {
                "points": [{"requests": 0, "rss_mb": 70.0}, {"requests": 9, "rss_mb": 90.0}],
                "peak_rss_mb": 91.0,
            },
        },
    }


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(doc))
    return str(path)


def test_rows_per_run_then_median_and_spread_per_label(tmp_path: Path) -> None:
    runs = load(
        [
            "base=" + _write(tmp_path, "b1.json", _doc(6.0, 400.0, 0.5)),
            "main=" + _write(tmp_path, "m1.json", _doc(7.0, 380.0, 0.4)),
            "base=" + _write(tmp_path, "b2.json", _doc(8.0, 600.0, 0.7)),
            "main=" + _write(tmp_path, "m2.json", _doc(9.0, 500.0, 0.6)),
        ]
    )
    lines = table(runs).splitlines()

    assert lines[0].split(" | ")[1:] == [
        "base #1",
        "main #1",
        "base #2",
        "main #2",
        "base median (min-max)",
        "main median (min-max) |",
    ]
    ratio = next(line for line in lines if line.startswith("| fixed c=32 x floor |"))
    assert ratio.split(" | ")[1:] == [
        "0.500",
        "0.400",
        "0.700",
        "0.600",
        "0.600 (0.500-0.700)",
        "0.500 (0.400-0.600) |",
    ]
    rss = next(line for line in lines if line.startswith("| RSS after load MiB |"))
    assert "90.0 (90.0-90.0)" in rss
    plan = next(line for line in lines if line.startswith("| /route/plan req/s |"))
    assert plan.count(" - ") >= 4  # scenario not run: a dash, not an error


def test_an_argument_without_a_label_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.json", _doc(1.0, 1.0, 1.0))
    with pytest.raises(SystemExit, match="expected label=path"):
        main([path])
