"""The Python load generator: one separate process, aiohttp client, N concurrent workers.

Used when `wrk` is not on PATH, and always for the time-to-first-byte probe. Prints one
JSON object on stdout. Latencies are wall time from sending the request to the last body
byte (or, with --ttfb, to the first body byte and to the first content token).

    python -m bench.pyload --url URL --body-file F --concurrency 32 --duration 5
    python -m bench.pyload --url URL --body-file F --requests 10000 --concurrency 32
    python -m bench.pyload --url URL --body-file F --ttfb --requests 500
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

CONTENT_MARK = b'"content":"'


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an unsorted list (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def has_token(chunk: bytes) -> bool:
    """Whether an SSE chunk carries a non-empty content delta."""
    start = 0
    while True:
        at = chunk.find(CONTENT_MARK, start)
        if at < 0:
            return False
        after = at + len(CONTENT_MARK)
        if after < len(chunk) and chunk[after : after + 1] != b'"':
            return True
        start = after


async def _load(args: argparse.Namespace, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    latencies: list[float] = []
    errors = 0
    statuses: dict[str, int] = {}
    remaining = [args.requests] if args.requests else None
    deadline = time.perf_counter() + args.duration if args.duration else None

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while True:
            if remaining is not None:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            if deadline is not None and time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                async with session.post(args.url, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors += 1
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors += 1
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - began
    ms = [x * 1000.0 for x in latencies]
    return {
        "requests": len(latencies),
        "duration_s": elapsed,
        "rps": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "mean_ms": sum(ms) / len(ms) if ms else 0.0,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "errors": errors,
        "error_kinds": statuses,
    }


async def _ttfb(args: argparse.Namespace, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """Sequential streaming requests (c=1): time to first body byte and first token."""
    first_byte: list[float] = []
    first_token: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for index in range(args.requests + args.warmup):
            started = time.perf_counter()
            fb = ft = None
            try:
                async with session.post(args.url, data=body, headers=headers) as resp:
                    async for chunk in resp.content.iter_any():
                        now = time.perf_counter()
                        if fb is None:
                            fb = now - started
                        if ft is None and has_token(chunk):
                            ft = now - started
                    if resp.status >= 400:
                        errors += 1
                        continue
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
                continue
            if index < args.warmup or fb is None:
                continue
            first_byte.append(fb * 1000.0)
            first_token.append((ft if ft is not None else fb) * 1000.0)
    return {
        "requests": len(first_byte),
        "errors": errors,
        "ttfb_p50_ms": percentile(first_byte, 50),
        "ttfb_p99_ms": percentile(first_byte, 99),
        "ttft_p50_ms": percentile(first_token, 50),
        "ttft_p99_ms": percentile(first_token, 99),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Symphony bench: Python load generator")
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--header", action="append", default=[], help="name: value")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=0.0)
    parser.add_argument("--requests", type=int, default=0)
    parser.add_argument("--ttfb", action="store_true")
    parser.add_argument("--warmup", type=int, default=5, help="--ttfb: requests not counted")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.duration and not args.requests:
        print("need --duration or --requests", file=sys.stderr)
        return 2
    body = Path(args.body_file).read_bytes()
    headers = {"content-type": "application/json"}
    for item in args.header:
        name, _, value = item.partition(":")
        headers[name.strip()] = value.strip()
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    runner = _ttfb if args.ttfb else _load
    result = asyncio.run(runner(args, body, headers))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
