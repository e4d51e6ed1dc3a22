"""`python -m bench --smoke` runs every scenario end to end and writes its JSON.

This proves the suite works (servers start, load runs, numbers are collected, children are
cleaned up); it asserts nothing about speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("execute", "plan", "window_engine", "sse", "memory")


@pytest.mark.slow
def test_smoke_run_writes_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = orjson.loads(out.read_bytes())

    assert doc["scale"]["name"] == "smoke"
    machine = doc["machine"]
    assert machine["cpu_count"] >= 1
    assert machine["cpu_model"]
    assert machine["python"].count(".") == 2
    assert machine["load_generator"].split(" ")[0] in ("wrk", "Python")
    for name in SCENARIOS:
        assert name in doc["scenarios"], name
        assert "error" not in doc["scenarios"][name], doc["scenarios"][name]

    execute = doc["scenarios"]["execute"]
    targets = {cell["target"] for cell in execute["cells"]}
    assert targets == {"direct", "floor", "symphony-fixed", "symphony-auto"}
    assert {cell["mode"] for cell in execute["cells"]} == {"non-stream", "stream"}
    assert all(cell["requests"] > 0 for cell in execute["cells"])
    assert execute["errors_total"] == 0
    assert set(execute["ttfb"]) == targets
    assert execute["validity"]
    assert "valid" in doc

    plan = doc["scenarios"]["plan"]
    assert plan["http"]["route_plan"]["requests"] > 0
    assert plan["http"]["bare"]["requests"] > 0
    assert [row["models"] for row in plan["planner"]] == [10, 100]

    sse = doc["scenarios"]["sse"]
    assert sse["connected"] == sse["subscribers"]
    assert sse["published"] > 0
    assert sse["deliveries"] > 0

    memory = doc["scenarios"]["memory"]
    assert [p["requests"] for p in memory["points"]] == [0, 100, 300]
    assert all(p["rss_mb"] > 0 for p in memory["points"])

    assert doc["targets"], "targets are judged even at smoke scale"
    assert "Targets (issue 6)" in proc.stdout
    tables = (tmp_path / "smoke.txt").read_text(encoding="utf-8")
    assert "1. Execute overhead" in tables
    assert "Targets (issue 6)" in tables
