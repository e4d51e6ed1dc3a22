"""Crash durability (issue 11): are acknowledged answers still on disk after `kill -9`?

    PYTHONPATH=src .venv/bin/python -m bench.killnine [--runs 3] [--concurrency 16]
        [--seconds 3] [--out bench/results/killnine.json]

Per run: a fresh non-demo `symphony serve` (real API keys from `symphony keys create`, ledger
and audit on, its own data dir, default `SYMPHONY_DURABILITY=process`) in front of the
simulator. `--concurrency` clients send `/v1/chat/completions` calls for `--seconds`, noting
every acknowledged answer (HTTP 200 with its `x-symphony-audit-id`); then the server's
process group gets SIGKILL mid-load. The server is started again on the same data dir and,
once it answers, the bench checks: every acknowledged audit id is in the audit trail
(`audit.db`), every one has its usage row (`ledger.db`, by audit id), and
`symphony audit verify` accepts the hash chain. Lost must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.procs import BENCH_DIR, REPO, Child, Processes, free_port, machine
from bench.stack import (
    FIXED_MODEL,
    Auth,
    _create_key,
    render_policy,
    start_simulator,
    symphony_argv,
    wait_symphony,
)


def serve_env(data_dir: Path) -> dict[str, str]:
    return {
        "SYMPHONY_DATA_DIR": str(data_dir),
        "SYMPHONY_WATCH_POLICY": "0",
        "SYMPHONY_SIM_KEY": "sim-bench-key",
        "SYMPHONY_RATE_LIMIT_RPS": "1000000000",
        "SYMPHONY_RATE_LIMIT_BURST": "1000000000",
    }


async def load_then_kill(
    child: Child, headers: dict[str, str], concurrency: int, seconds: float
) -> tuple[list[str], int, int]:
    """(acknowledged audit ids, requests sent, failed) — the server is SIGKILLed at `seconds`."""
    acked: list[str] = []
    counts = {"sent": 0, "failed": 0}
    killed = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(child.base, connector=connector, timeout=timeout) as session:

        async def worker(w: int) -> None:
            i = 0
            while not killed.is_set():
                i += 1
                body = {"model": FIXED_MODEL, "messages": [{"role": "user", "content": f"{w}-{i}"}]}
                counts["sent"] += 1
                try:
                    async with session.post(
                        "/v1/chat/completions", json=body, headers=headers
                    ) as resp:
                        await resp.read()
                        audit_id = resp.headers.get("x-symphony-audit-id")
                        if resp.status == 200 and audit_id:
                            acked.append(audit_id)
                        else:
                            counts["failed"] += 1
                except (TimeoutError, aiohttp.ClientError):
                    counts["failed"] += 1

        async def killer() -> None:
            await asyncio.sleep(seconds)
            os.killpg(child.pid, signal.SIGKILL)  # the whole `serve` process group, no warning
            killed.set()

        await asyncio.gather(killer(), *(worker(w) for w in range(concurrency)))
    return acked, counts["sent"], counts["failed"]


def stored_ids(db: Path, sql: str) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute(sql) if row[0]}
    finally:
        conn.close()


def ledger_rows(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM usage").fetchone()[0])
    finally:
        conn.close()


def start_verify(env: dict[str, str]) -> subprocess.Popen[str]:
    """`symphony audit verify` on the data dir as the crash left it (runs while we restart)."""
    return subprocess.Popen(
        symphony_argv("audit", "verify"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
    )


def chain_result(proc: subprocess.Popen[str]) -> tuple[bool, str]:
    out, _ = proc.communicate(timeout=120)
    lines = out.strip().splitlines()
    return proc.returncode == 0, lines[0] if lines else f"exit {proc.returncode}, no output"


def client_auth(env: dict[str, str], n: int) -> Auth:
    """One client key (`symphony keys create`): the bench needs no operator key."""
    secret = _create_key(env, "client", f"killnine-{n}")
    if secret is None:
        raise SystemExit(f"run {n}: `symphony keys create` printed no sk-sym- secret")
    return Auth("api-keys", "symphony keys create", client={"Authorization": f"Bearer {secret}"})


def run_once(
    procs: Processes, work: Path, sim_base: str, n: int, concurrency: int, seconds: float
) -> dict[str, Any]:
    data_dir = work / f"run{n}-data"
    data_dir.mkdir(parents=True)
    env = serve_env(data_dir)
    auth = client_auth(env, n)
    policy = render_policy(work, sim_base)
    port = free_port()
    argv = symphony_argv("serve", "--port", str(port), "--policy", str(policy))
    first = procs.start(f"run{n}-serve", argv, env=env, port=port)
    wait_symphony(first, auth)
    acked, sent, failed = asyncio.run(load_then_kill(first, auth.client, concurrency, seconds))
    first.proc.wait(10)
    procs.stop(first)
    killed_by = -first.proc.returncode if first.proc.returncode else 0
    port = free_port()
    argv = symphony_argv("serve", "--port", str(port), "--policy", str(policy))
    verify = start_verify(env)
    second = procs.start(f"run{n}-restart", argv, env=env, port=port)
    try:
        wait_symphony(second, auth)  # the server starts again on what the crash left
        audit = stored_ids(data_dir / "audit.db", "SELECT id FROM audit")
        ledger_ids = stored_ids(data_dir / "ledger.db", "SELECT audit_id FROM usage")
        rows = ledger_rows(data_dir / "ledger.db")
    finally:
        procs.stop(second)
        chain_ok, chain_line = chain_result(verify)
    found = sum(1 for a in acked if a in audit)
    return {
        "run": n,
        "sent": sent,
        "acknowledged": len(acked),
        "failed_or_cut": failed,
        "audit_found": found,
        "lost": len(acked) - found,
        "ledger_rows": rows,
        "ledger_missing": sum(1 for a in acked if a not in ledger_ids),
        "chain_verified": chain_ok,
        "chain": chain_line,
        "killed_by_signal": killed_by,
        "restarted": True,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.killnine", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0, help="load before the kill")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "killnine.json")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="symphony-killnine-") as tmp:
        work = Path(tmp)
        procs = Processes(work)
        try:
            sim = start_simulator(procs)
            for n in range(1, args.runs + 1):
                rows.append(run_once(procs, work, sim.base, n, args.concurrency, args.seconds))
        finally:
            procs.close()
    header = "run  sent  acknowledged  audit found  lost  ledger rows  ledger missing  chain"
    print(header)
    for r in rows:
        print(
            f"{r['run']:>3}  {r['sent']:>4}  {r['acknowledged']:>12}  {r['audit_found']:>11}"
            f"  {r['lost']:>4}  {r['ledger_rows']:>11}  {r['ledger_missing']:>14}"
            f"  {'verified' if r['chain_verified'] else 'BROKEN: ' + r['chain']}"
        )
    seconds = round(time.perf_counter() - started, 1)
    print(f"{args.runs} run(s) in {seconds} s")
    report = {
        "machine": machine("bench/killnine.py (aiohttp)"),
        "concurrency": args.concurrency,
        "load_seconds_before_kill": args.seconds,
        "durability": os.environ.get("SYMPHONY_DURABILITY", "process"),
        "runs": rows,
        "seconds": seconds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"wrote {args.out}")
    bad = [
        r
        for r in rows
        if r["lost"]
        or r["ledger_missing"]
        or r["ledger_rows"] < r["acknowledged"]
        or not r["chain_verified"]
        or r["acknowledged"] == 0
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
