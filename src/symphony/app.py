"""The composition root: `create_app(settings)` builds everything inside the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import ORJSONResponse

from symphony import __version__
from symphony.api import events as events_api
from symphony.api import metrics as metrics_api
from symphony.api import models as models_api
from symphony.api import plan as plan_api
from symphony.api import policy as policy_api
from symphony.api import status as status_api
from symphony.api.errors import install_error_handlers
from symphony.api.limits import BodyLimitMiddleware
from symphony.api.state import AppState
from symphony.clock import Clock, SystemClock
from symphony.events.bus import EventBus
from symphony.execute.planning import PlanningService
from symphony.metrics.registry import Metrics
from symphony.policy.store import PolicyStore, ReloadResult
from symphony.policy.watcher import watch_policy
from symphony.providers.credentials import Credentials
from symphony.providers.health import probe_all
from symphony.routing.stats import LatencyStats
from symphony.settings import Settings
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.service import WindowService

log = logging.getLogger("symphony")

DESCRIPTION = """Symphony decides, for every unit of work, which model to use and why; runs it with
retries, fallbacks and cost caps; accounts for usage against every provider window; and
reports it all (SSE events, Prometheus metrics, audit)."""


def build_state(settings: Settings, clock: Clock, environ: dict[str, str] | None = None) -> AppState:
    """Construct every service (no network, no tasks); the lifespan starts them."""
    policy = PolicyStore(settings.policy_file, settings.windows_file, clock)
    policy.load_initial()
    usage_store = SqliteUsageStore.open(settings.data_dir)
    windows = WindowService(usage_store, clock)
    loaded = windows.load()
    log.info("ledger: rebuilt window state from %d usage events", loaded)
    metrics = Metrics()
    metrics.set_policy_version(policy.snapshot.version)
    bus = EventBus(clock, buffer_size=settings.event_buffer_size)
    stats = LatencyStats()
    credentials = Credentials(environ)
    planning = PlanningService(policy, windows, stats, bus, metrics, credentials, clock)
    return AppState(
        settings=settings, clock=clock, policy=policy, usage_store=usage_store, windows=windows,
        stats=stats, bus=bus, metrics=metrics, credentials=credentials, planning=planning,
    )


def make_reloader(state: AppState) -> Callable[[str], ReloadResult]:
    def reload(trigger: str) -> ReloadResult:
        result = state.policy.reload()
        if not result.ok:
            state.metrics.policy_reload.labels("rejected").inc()
            state.bus.publish("policy.rejected", {"trigger": trigger, "errors": list(result.errors), "kept_version": result.version})
            log.warning("policy change rejected; keeping %s: %s", result.version, "; ".join(result.errors))
        else:
            state.metrics.policy_reload.labels("ok").inc()
            if result.changed:
                state.metrics.set_policy_version(result.version)
                state.bus.publish("policy.update", {"trigger": trigger, "version": result.version})
                log.info("policy %s applied (%s)", result.version, trigger)
        return result

    return reload


async def _probe_loop(state: AppState, stop: asyncio.Event) -> None:
    settings = state.settings
    while not stop.is_set():
        try:
            state.health.update(await probe_all(state.policy.snapshot, state.credentials, state.clock, settings.health_probe_timeout_s))
        except Exception:  # a probe failure must never kill the loop
            log.exception("health probe failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.health_probe_interval_s)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None, environ: dict[str, str] | None = None) -> FastAPI:
    """Build the FastAPI app; nothing runs until the lifespan starts."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings, clock, environ)
        stop = asyncio.Event()
        state.extras["reload_policy"] = make_reloader(state)
        tasks: list[asyncio.Task[Any]] = []
        app.state.symphony = state
        tasks.append(asyncio.create_task(_probe_loop(state, stop), name="health-probe"))
        if settings.watch_policy:
            files = [settings.policy_file] + ([settings.windows_file] if settings.windows_file else [])
            reload = state.extras["reload_policy"]
            tasks.append(asyncio.create_task(watch_policy(files, lambda: reload("watch"), stop), name="policy-watch"))
        try:
            yield
        finally:
            stop.set()
            state.bus.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            state.usage_store.close()

    app = FastAPI(
        title="Symphony", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        default_response_class=ORJSONResponse,
    )

    def count_error(request: Request, code: str) -> None:
        state: AppState | None = getattr(request.app.state, "symphony", None)
        if state is not None:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            state.metrics.errors.labels(path, code).inc()

    install_error_handlers(app, count_error)
    for module in (plan_api, models_api, status_api, events_api, metrics_api, policy_api):
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, limit=settings.body_limit_bytes)
    return app
