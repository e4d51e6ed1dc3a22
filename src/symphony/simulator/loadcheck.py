"""Hand-run throughput check: `python -m symphony.simulator.loadcheck [N] [CONCURRENCY]`.

Starts the simulator in fast mode in a child process (so client and server do not share a
core's event loop) and drives it with aiohttp client tasks over loopback. Not a test.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import time

import aiohttp
import orjson

from symphony.simulator.config import DEFAULT_CONFIG, config_from_mapping
from symphony.simulator.server import _loop_factory, start_simulator

BODY = orjson.dumps(
    {"model": "litellm-default", "messages": [{"role": "user", "content": "hello load test"}]}
)


def _serve(port_queue: multiprocessing.Queue[int]) -> None:
    async def main() -> None:
        models = {name: dict(spec) for name, spec in DEFAULT_CONFIG["models"].items()}
        models["litellm-default"].update(cap=None, tokens_cap=None)
        config = config_from_mapping({"fast": True, "models": models})
        running = await start_simulator(config)
        port_queue.put(int(running.base_url.rsplit(":", 1)[1]))
        await asyncio.Event().wait()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main())


async def _drive(url: str, total: int, concurrency: int) -> float:
    remaining = total
    headers = {"content-type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                async with session.post(url, data=BODY, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"status {resp.status}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start


def main(argv: list[str]) -> None:
    """Measure non-streaming requests/s against a fast-mode simulator."""
    total = int(argv[0]) if argv else 5000
    concurrency = int(argv[1]) if len(argv) > 1 else 32
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    try:
        port = queue.get(timeout=10)
        url = f"http://127.0.0.1:{port}/openai/v1/chat/completions"
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_drive(url, 200, concurrency))  # warm-up
            elapsed = runner.run(_drive(url, total, concurrency))
        print(f"{total} requests, concurrency {concurrency}: {total / elapsed:,.0f} req/s")
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main(sys.argv[1:])
