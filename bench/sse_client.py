"""SSE fan-out load process: N subscribers on GET /events plus a publisher at R events/s.

The publisher POSTs `/windows/{model}/observe` (Symphony publishes a `window.update` whose
data carries `at`, the publish instant, and our `source: bench-<seq>` marker). Each
subscriber records when every event arrived; delivery latency = arrival - `at` (one machine,
one clock). Dropped = published markers a subscriber never received. Prints one JSON object.

    python -m bench.sse_client --base http://127.0.0.1:8787 --subscribers 1000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from bench.pyload import percentile

AT = re.compile(rb'"at":"([^"]+)"')
SEQ = re.compile(rb'"source":"bench-(\d+)"')


class Subscriber:
    def __init__(self) -> None:
        self.lines: list[tuple[float, bytes]] = []
        self.connected = asyncio.Event()
        self.error: str | None = None
        self.dropped_notice = False

    async def run(self, session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
        try:
            async with session.get(url, headers=headers) as resp:
                if resp.status != 200:
                    self.error = f"HTTP {resp.status}"
                    self.connected.set()
                    return
                buffer = b""
                async for chunk in resp.content.iter_any():
                    arrived = time.time()
                    self.connected.set()
                    buffer += chunk
                    while True:
                        end = buffer.find(b"\n")
                        if end < 0:
                            break
                        line, buffer = buffer[:end], buffer[end + 1 :]
                        if line.startswith(b"data:"):
                            self.lines.append((arrived, line))
                        elif line.startswith(b"event: dropped"):
                            self.dropped_notice = True
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.error = type(exc).__name__
            self.connected.set()

    def received(self) -> dict[int, float]:
        """Marker seq -> delivery latency in ms."""
        out: dict[int, float] = {}
        for arrived, line in self.lines:
            seq = SEQ.search(line)
            at = AT.search(line)
            if seq is None or at is None:
                continue
            published = datetime.fromisoformat(at.group(1).decode()).timestamp()
            out[int(seq.group(1))] = (arrived - published) * 1000.0
        return out


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    sub_headers = dict(h.split(": ", 1) for h in args.sub_header)
    pub_headers = {
        "content-type": "application/json",
        **dict(h.split(": ", 1) for h in args.pub_header),
    }
    events_url = f"{args.base}/events?types=window.update"
    observe_url = f"{args.base}/windows/{quote(args.model, safe='/')}/observe"
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    subs = [Subscriber() for _ in range(args.subscribers)]
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = []
        for index, sub in enumerate(subs):
            tasks.append(asyncio.create_task(sub.run(session, events_url, sub_headers)))
            if index % 100 == 99:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        began = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subs)), 60)
        connect_s = time.perf_counter() - began
        connected = sum(1 for s in subs if s.connected.is_set() and s.error is None)
        await asyncio.sleep(0.5)
        published: list[int] = []
        publish_errors = 0
        total = max(1, round(args.rate * args.seconds))
        start = time.perf_counter()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as pub:
            for seq in range(total):
                delay = start + seq / args.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = orjson.dumps({"source": f"bench-{seq}", "note": "bench sse fan-out"})
                try:
                    async with pub.post(observe_url, data=body, headers=pub_headers) as resp:
                        await resp.read()
                        if resp.status == 200:
                            published.append(seq)
                        else:
                            publish_errors += 1
                except (aiohttp.ClientError, TimeoutError):
                    publish_errors += 1
        publish_s = time.perf_counter() - start
        wanted = set(published)
        deadline = time.perf_counter() + args.grace
        while time.perf_counter() < deadline:
            # Cheap check while events may still be arriving; exact accounting is below.
            if all(len(s.lines) >= len(wanted) for s in subs if s.error is None):
                break
            await asyncio.sleep(0.25)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies: list[float] = []
    dropped = 0
    with_drops = 0
    for sub in subs:
        got = sub.received()
        latencies.extend(v for k, v in got.items() if k in wanted)
        missing = len(wanted - set(got))
        dropped += missing
        with_drops += 1 if missing else 0
    return {
        "subscribers": args.subscribers,
        "connected": connected,
        "connect_s": round(connect_s, 3),
        "rate_per_s": args.rate,
        "published": len(published),
        "publish_errors": publish_errors,
        "publish_s": round(publish_s, 3),
        "deliveries": len(latencies),
        "expected_deliveries": len(published) * connected,
        "latency_p50_ms": round(percentile(latencies, 50), 2),
        "latency_p99_ms": round(percentile(latencies, 99), 2),
        "latency_max_ms": round(max(latencies, default=0.0), 2),
        "dropped": dropped,
        "subscribers_with_drops": with_drops,
        "dropped_notices": sum(1 for s in subs if s.dropped_notice),
        "subscriber_errors": sorted({s.error for s in subs if s.error}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Symphony bench: SSE fan-out")
    parser.add_argument("--base", required=True)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--grace", type=float, default=5.0)
    parser.add_argument("--model", default="bench/fixed")
    parser.add_argument("--sub-header", action="append", default=[])
    parser.add_argument("--pub-header", action="append", default=[])
    args = parser.parse_args(argv)
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    result = asyncio.run(_run(args))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
