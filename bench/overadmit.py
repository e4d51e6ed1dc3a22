"""Over-admission under concurrency (issue 11 item 1): does a cap of 50 admit 50?

    PYTHONPATH=src .venv/bin/python -m bench.overadmit [--cap 50] [--requests 1000]
        [--concurrency 16,200,1000] [--ttft-ms 50] [--out bench/results/overadmit.json]

For each concurrency level: a fresh `symphony serve` (not demo: real API keys when
`symphony keys` exists, ledger and audit on, a fresh data dir) whose policy caps
`bench/fixed` at `--cap` requests per rolling hour, in front of the simulator
(`symphony simulate`, every answer `--ttft-ms` late so calls overlap). `--requests`
chat completions pinned to that model go out over sockets with at most `concurrency` in
flight. Reported per level: answers 200 (admitted), the calls the upstream saw, the other
statuses, over-admission (admitted - cap), and the wall time. Over-admission must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.procs import BENCH_DIR, Processes, free_port, machine, wait_ready
from bench.stack import (
    FIXED_MODEL,
    POLICY_TEMPLATE,
    TEMPLATE_BASE,
    UPSTREAM_MODEL,
    _auth,
    symphony_argv,
    wait_symphony,
)

FIXED_QUOTA = "quota: { type: dynamic }"
SIM_CONFIG = """fast: false
models:
  bench-fixed:
    protocol: openai
    vendor: bench
    header_style: openai
    ttft_ms: {ttft}
    tokens_per_s: 100000
    cap: null
    tokens_cap: null
"""


def capped_policy(work: Path, sim_base: str, cap: int) -> Path:
    text = POLICY_TEMPLATE.read_text(encoding="utf-8").replace(TEMPLATE_BASE, sim_base)
    head, sep, tail = text.partition(f"- name: {FIXED_MODEL}")
    if not sep or FIXED_QUOTA not in tail:
        raise SystemExit(f"{POLICY_TEMPLATE}: bench/fixed's quota line moved")
    quota = f"quota: {{ type: rolling, window: 1h, anchor: sliding, unit: requests, cap: {cap} }}"
    path = work / "overadmit.policy.yml"
    path.write_text(head + sep + tail.replace(FIXED_QUOTA, quota, 1), encoding="utf-8")
    return path


async def flood(
    base: str, headers: dict[str, str], total: int, concurrency: int
) -> tuple[Counter[int], float]:
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=300)

    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:

        async def one(i: int) -> int:
            body = {"model": FIXED_MODEL, "messages": [{"role": "user", "content": f"q{i}"}]}
            async with gate, session.post("/v1/chat/completions", json=body, headers=headers) as r:
                await r.read()
                return r.status

        started = time.perf_counter()
        statuses = await asyncio.gather(*(one(i) for i in range(total)))
        return Counter(statuses), time.perf_counter() - started


async def upstream_calls(sim_base: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{sim_base}/_sim/state") as r:
        state: dict[str, Any] = orjson.loads(await r.read())
    return int(state["models"][UPSTREAM_MODEL]["requests"])


async def reset_simulator(sim_base: str) -> None:
    async with aiohttp.ClientSession() as session, session.post(f"{sim_base}/_sim/reset") as r:
        await r.read()


def run_level(
    procs: Processes, work: Path, sim_base: str, cap: int, total: int, concurrency: int
) -> dict[str, Any]:
    name = f"symphony-c{concurrency}"
    data_dir = work / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "SYMPHONY_DATA_DIR": str(data_dir),
        "SYMPHONY_WATCH_POLICY": "0",
        "SYMPHONY_SIM_KEY": "sim-bench-key",
        "SYMPHONY_RATE_LIMIT_RPS": "1000000000",
        "SYMPHONY_RATE_LIMIT_BURST": "1000000000",
    }
    auth = _auth(env)
    port = free_port()
    policy = capped_policy(work, sim_base, cap)
    child = procs.start(
        name,
        symphony_argv("serve", "--port", str(port), "--policy", str(policy)),
        env=env,
        port=port,
    )
    try:
        wait_symphony(child, auth)
        asyncio.run(reset_simulator(sim_base))
        statuses, seconds = asyncio.run(flood(child.base, auth.client, total, concurrency))
        seen = asyncio.run(upstream_calls(sim_base))
    finally:
        procs.stop(child)
    admitted = statuses.get(200, 0)
    return {
        "concurrency": concurrency,
        "requests": total,
        "cap": cap,
        "admitted": admitted,
        "upstream_calls": seen,
        "over_admitted": admitted - cap,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 2),
        "auth": auth.mode,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overadmit", description=__doc__)
    parser.add_argument("--cap", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", default="16,200,1000")
    parser.add_argument("--ttft-ms", type=int, default=50)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "overadmit.json")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.concurrency.split(",") if x]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="symphony-overadmit-") as tmp:
        work = Path(tmp)
        procs = Processes(work)
        try:
            sim_config = work / "simulator.yml"
            sim_config.write_text(SIM_CONFIG.format(ttft=args.ttft_ms), encoding="utf-8")
            port = free_port()
            sim = procs.start(
                "simulator",
                symphony_argv("simulate", "--port", str(port), "--config", str(sim_config)),
                port=port,
            )
            wait_ready(sim, "/openai/v1/models")
            for concurrency in levels:
                row = run_level(procs, work, sim.base, args.cap, args.requests, concurrency)
                rows.append(row)
                print(
                    f"c={concurrency:>5}  sent {row['requests']}  admitted {row['admitted']}"
                    f"  upstream calls {row['upstream_calls']}  over-admitted"
                    f" {row['over_admitted']}  statuses {row['statuses']}  {row['seconds']} s",
                    flush=True,
                )
        finally:
            procs.close()
    report = {"machine": machine("bench/overadmit.py (aiohttp)"), "levels": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"wrote {args.out}")
    bad = [r for r in rows if r["over_admitted"] != 0 or r["upstream_calls"] != r["cap"]]
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
