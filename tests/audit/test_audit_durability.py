"""An acknowledged append survives `kill -9` of the process that made it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from symphony.audit import AuditLog, verify_chain
from symphony.clock import FixedClock

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from symphony.audit import AuditLog
    from symphony.clock import SystemClock

    async def main() -> None:
        log = AuditLog.open(Path(sys.argv[1]), SystemClock())

        async def worker(w: int) -> None:
            for i in range(1_000_000):
                rec = await log.append("route.execute", {"worker": w, "i": i})
                print(rec.id, flush=True)  # printed only after append said "durable"

        await asyncio.gather(*(worker(w) for w in range(8)))

    asyncio.run(main())
    """
)


def test_printed_ids_survive_kill_9(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    printed: list[str] = []
    try:
        while len(printed) < 150:
            line = proc.stdout.readline()
            assert line, f"child exited early with {proc.poll()}"
            printed.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)
        printed.extend(line.strip() for line in proc.stdout.read().splitlines())
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    log = AuditLog.open(tmp_path, FixedClock(datetime(2025, 1, 1, tzinfo=UTC)))
    try:
        missing = [audit_id for audit_id in printed if log.get_sync(audit_id) is None]
        after = log.append_sync("control.unkill", {"after": "crash"})
    finally:
        log.close()
    assert missing == []
    result = verify_chain(tmp_path / "audit.db")
    assert result.ok, result.problem
    assert result.checked == after.seq >= len(printed) + 1
