"""`python -m bench`: run every scenario, print the tables, write the JSON."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from bench.loadgen import LoadGenerator
from bench.procs import BENCH_DIR, Processes, machine, terminate_on_sigterm
from bench.report import judge, print_report
from bench.s_counters import run_counters
from bench.s_engine import run_engine
from bench.s_execute import run_execute
from bench.s_memory import run_memory
from bench.s_plan import run_plan
from bench.s_sse import run_sse
from bench.scale import FULL, QUICK, SMOKE, Scale
from bench.stack import Stack, start_stack

SCENARIOS = ("execute", "plan", "window_engine", "sse", "memory", "counters")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--smoke", action="store_true", help="tiny scale: proves every scenario runs (CI)"
    )
    size.add_argument("--quick", action="store_true", help="a few seconds per cell")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON path (default bench/results/latest.json; smoke.json with --smoke)",
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {','.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--python-load",
        action="store_true",
        help="use the Python load generator even if wrk exists",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs, data)"
    )
    parser.add_argument(
        "--show",
        type=Path,
        default=None,
        metavar="JSON",
        help="print the tables of an earlier run's JSON and exit (runs nothing)",
    )
    return parser.parse_args(argv)


def _scale(args: argparse.Namespace) -> Scale:
    return SMOKE if args.smoke else QUICK if args.quick else FULL


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show is not None:
        console = Console(width=160 if not sys.stdout.isatty() else None, highlight=False)
        print_report(console, orjson.loads(args.show.read_bytes()))
        return 0
    scale = _scale(args)
    out = args.out or BENCH_DIR / "results" / ("smoke.json" if args.smoke else "latest.json")
    wanted = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    console = Console(
        width=max(Console().width, 160) if not sys.stdout.isatty() else None,
        highlight=False,
        record=True,
    )
    work = Path(tempfile.mkdtemp(prefix="symphony-bench-"))
    procs = Processes(work)
    gen = LoadGenerator(work, force_python=args.python_load)
    started = time.monotonic()

    def log(message: str) -> None:
        console.print(f"[dim]{time.monotonic() - started:7.1f}s[/dim] {message}")

    scenarios: dict[str, Any] = {}
    doc: dict[str, Any] = {
        "suite": "symphony-bench",
        "issue": 6,
        "scale": scale.to_dict(),
        "machine": machine(gen.description),
        "setup": {},
        "scenarios": scenarios,
    }
    failed = interrupted = False
    log(f"scale {scale.name}; load generator: {gen.description}; work dir {work}")
    with terminate_on_sigterm():
        try:
            stack: Stack | None = None
            if set(wanted) - {"window_engine", "counters"}:
                stack = start_stack(procs, work)
                doc["setup"] = _setup(stack)
                log(
                    f"started simulator {stack.sim.base}, Symphony {stack.symphony.base} "
                    f"(pid {stack.symphony.pid}), floor {stack.floor.base}, bare {stack.bare.base}"
                )
            runners: dict[str, Callable[[], dict[str, Any]]] = {
                "window_engine": lambda: run_engine(scale, log),
                "counters": lambda: run_counters(scale, log),
            }
            if stack is not None:
                s = stack
                runners.update(
                    {
                        "execute": lambda: run_execute(s, gen, scale, log),
                        "plan": lambda: run_plan(s, gen, scale, log),
                        "sse": lambda: run_sse(s, scale, log),
                        "memory": lambda: run_memory(s, gen, procs, work, scale, log),
                    }
                )
            for name in SCENARIOS:
                if name not in wanted:
                    continue
                log(f"== {name}")
                try:
                    scenarios[name] = runners[name]()
                except Exception as exc:
                    failed = True
                    scenarios[name] = {"error": f"{type(exc).__name__}: {exc}"}
                    console.print(traceback.format_exc(), markup=False)
        except KeyboardInterrupt:
            interrupted = True
            console.print("interrupted: stopping every child process")
        except Exception:
            failed = True
            console.print(traceback.format_exc(), markup=False)
        finally:
            procs.close()
    if interrupted:
        shutil.rmtree(work, ignore_errors=True)
        return 130
    doc["duration_s"] = round(time.monotonic() - started, 1)
    reasons = []
    ex = scenarios.get("execute") or {}
    if ex and not ex.get("error"):
        for v in ex["validity"]:
            if not v["ok"]:
                reasons.append(
                    f"upstream only {v['ratio']:.1f} x Symphony at {v['mode']} c={v['concurrency']}"
                )
        if ex["errors_total"]:
            reasons.append(f"{ex['errors_total']} failed requests in execute cells")
    if failed:
        reasons.append("a scenario failed")
    doc["valid"] = not reasons
    doc["invalid_reasons"] = reasons
    doc["targets"] = judge(scenarios)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    console.export_text(clear=True)  # the progress lines stay on screen only
    if doc.get("setup"):
        print_report(console, doc)
    else:
        print_report(console, {**doc, "setup": {"auth": "not started"}})
    tables = out.with_suffix(".txt")
    tables.write_text(console.export_text(clear=True), encoding="utf-8")
    console.print(f"wrote {out} and {tables.name} in {doc['duration_s']:.0f}s")
    if failed or args.keep:
        console.print(f"logs and data kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def _setup(stack: Stack) -> dict[str, Any]:
    return {
        "auth": f"{stack.auth.mode}: {stack.auth.note}",
        "symphony": "symphony serve --policy bench/bench.policy.yml (rendered), embedded defaults; "
        "SYMPHONY_WATCH_POLICY=0, fresh SYMPHONY_DATA_DIR, rate limit out of reach",
        "upstream": "symphony simulate --config bench/simulator.bench.yml (fast, no caps)",
        "floor": "bench/floor.py: FastAPI + one pooled aiohttp session, one pass-through route",
        "server": "uvicorn, uvloop + httptools, 1 worker, access log off (all three servers)",
    }


if __name__ == "__main__":
    sys.exit(main())
