"""`python -m bench.killnine --runs 1` at tiny scale: SIGKILL mid-load loses no acknowledged
answer (audit trail and usage ledger, hash chain intact after the restart).

Asserts counts only, nothing about speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_kill_nine_mid_load_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    out = tmp_path / "killnine.json"
    argv = [sys.executable, "-m", "bench.killnine", "--runs", "1", "--concurrency", "4"]
    proc = subprocess.run(
        [*argv, "--seconds", "1.5", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run,) = orjson.loads(out.read_bytes())["runs"]
    assert run["killed_by_signal"] == 9
    assert run["acknowledged"] > 0
    assert run["lost"] == 0
    assert run["audit_found"] == run["acknowledged"]
    assert run["ledger_missing"] == 0
    assert run["ledger_rows"] >= run["acknowledged"]
    assert run["chain_verified"], run["chain"]
