"""Start the simulator inside a running event loop, or run it blocking for the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from aiohttp import web

from symphony.clock import Clock
from symphony.simulator.app import build_simulator_app
from symphony.simulator.config import SimulatorConfig, load_simulator_config
from symphony.simulator.pipeline import STATE
from symphony.simulator.state import SimState

SHUTDOWN_TIMEOUT_S = 1.0


class RunningSimulator:
    """A simulator listening on `base_url` inside the caller's event loop."""

    def __init__(self, runner: web.AppRunner, app: web.Application, base_url: str) -> None:
        self._runner = runner
        self.app = app
        self.base_url = base_url

    @property
    def state(self) -> SimState:
        """The live counters and fault queue (tests may inspect or drive it directly)."""
        return self.app[STATE]

    async def stop(self) -> None:
        """Close the listener and cancel in-flight handlers."""
        await self._runner.cleanup()


def _runner(app: web.Application) -> web.AppRunner:
    # handler_cancellation: a client that gives up (timeout fault) frees its handler at once.
    return web.AppRunner(
        app,
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )


async def start_simulator(
    config: SimulatorConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Clock | None = None,
) -> RunningSimulator:
    """Start the simulator on host:port (0 = a free port) and return its base URL."""
    app = build_simulator_app(config, clock=clock)
    runner = _runner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[-1][1]
    shown = f"[{host}]" if ":" in host else host
    return RunningSimulator(runner, app, f"http://{shown}:{bound_port}")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve_forever(config: SimulatorConfig, host: str, port: int) -> None:
    running = await start_simulator(config, host, port)
    print(f"symphony simulator listening on {running.base_url} (fast={config.fast})", flush=True)
    stopped = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows loops
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        await stopped.wait()
    finally:
        await running.stop()


def run_simulator(host: str, port: int, config_path: str | None) -> None:
    """Run the simulator until interrupted (uses uvloop when installed)."""
    config = load_simulator_config(config_path)
    with (
        contextlib.suppress(KeyboardInterrupt),
        asyncio.Runner(loop_factory=_loop_factory()) as runner,
    ):
        runner.run(_serve_forever(config, host, port))
