"""The composition root: `create_app(settings)` builds the Services inside the lifespan,
mounts the faces (API routers, console) and starts the background loops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import ORJSONResponse

from symphony import __version__
from symphony.api import anthropic_compat as anthropic_api
from symphony.api import audit as audit_api
from symphony.api import budgets as budgets_api
from symphony.api import control as control_api
from symphony.api import docs_ui
from symphony.api import embeddings as embeddings_api
from symphony.api import events as events_api
from symphony.api import execute as execute_api
from symphony.api import governance as governance_api
from symphony.api import graphql as graphql_api
from symphony.api import incidents as incidents_api
from symphony.api import jobs as jobs_api
from symphony.api import metrics as metrics_api
from symphony.api import models as models_api
from symphony.api import openai_compat as openai_api
from symphony.api import plan as plan_api
from symphony.api import policy as policy_api
from symphony.api import status as status_api
from symphony.api import web as web_api
from symphony.api.body_timeout import BodyTimeoutMiddleware
from symphony.api.errors import install_error_handlers
from symphony.api.hotpath import HotPathMiddleware
from symphony.api.limits import BodyLimitMiddleware
from symphony.api.openapi import install_openapi
from symphony.api.security import SecurityMiddleware, SecurityRuntime, public_paths
from symphony.clock import Clock, SystemClock
from symphony.console.router import router as console_router
from symphony.services import Services, build_services
from symphony.settings import Settings

if TYPE_CHECKING:
    from symphony.mcp.server import McpFace

log = logging.getLogger("symphony")

DESCRIPTION = """Symphony decides, for every unit of work, which model to use and why; runs it with
retries, fallbacks and cost caps; accounts for usage against every provider window; and
reports it all (SSE events, Prometheus metrics, audit)."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    environ: dict[str, str] | None = None,
) -> FastAPI:
    """Build the FastAPI app; nothing runs until the lifespan starts."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    security = SecurityRuntime(settings)
    # The MCP face reads the Services the lifespan builds (app.state.symphony) per call.
    mcp: McpFace | None = None
    if settings.mcp_enabled:  # the MCP SDK (~500 modules) loads only when /mcp/ is served
        from symphony.mcp.server import McpFace

        mcp = McpFace(lambda: app.state.symphony, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        simulator = None
        sim_base = None
        if settings.demo:
            from symphony.simulator import load_simulator_config, start_simulator

            simulator = await start_simulator(
                load_simulator_config(None), port=settings.simulator_port
            )
            sim_base = simulator.base_url
            log.info("demo: provider simulator on %s", sim_base)
        services = build_services(settings, clock, environ, sim_base)
        await services.start()
        app.state.symphony = services
        security.bind(keys=services.keys, metrics=services.metrics, bus=services.bus)
        services.privacy.install_logging()
        stop = asyncio.Event()
        tasks: list[asyncio.Task[Any]] = [
            asyncio.create_task(loop, name=name) for name, loop in services.background(stop).items()
        ]
        mcp_running: AbstractAsyncContextManager[None] = (
            mcp.running() if mcp is not None else nullcontext()
        )
        try:
            async with mcp_running:  # the MCP session manager's task group
                yield
        finally:
            stop.set()
            services.bus.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await services.aclose()
            services.privacy.uninstall_logging()
            if simulator is not None:
                await simulator.stop()

    app = FastAPI(
        # Metrics are Prometheus (/metrics); FastAPI's native OpenTelemetry layer would cost
        # every request ~20 µs for providers nobody configured.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        title="Symphony",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
        docs_url=None,  # /docs and /redoc come from api/docs_ui.py with packaged assets
        redoc_url=None,
    )

    def count_error(request: Request, code: str) -> None:
        services: Services | None = getattr(request.app.state, "symphony", None)
        if services is not None:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            services.metrics.errors.labels(path, code).inc()

    install_error_handlers(app, count_error)
    install_openapi(app, public_paths(settings))  # every response schema, security schemes
    for module in (
        plan_api,
        execute_api,
        openai_api,
        anthropic_api,
        embeddings_api,
        models_api,
        status_api,
        events_api,
        metrics_api,
        policy_api,
        jobs_api,
        budgets_api,
        graphql_api,
        web_api,
    ):
        app.include_router(module.router)
    for module in (control_api, audit_api, governance_api):  # security and governance
        app.include_router(module.router)
    app.include_router(docs_ui.router)  # /docs, /redoc: assets from a wheel, no CDN
    app.include_router(incidents_api.router)  # SLOs, incidents, integrations
    app.include_router(console_router)  # the operator page; its API calls carry the key
    if mcp is not None:  # MCP (Streamable HTTP, stateless) behind the same key checks
        app.mount("/mcp", mcp.asgi())
    app.add_middleware(HotPathMiddleware)  # innermost: /v1/chat/completions skips the router
    app.add_middleware(BodyLimitMiddleware, limit=settings.body_limit_bytes)
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=settings.body_read_timeout_s)
    app.add_middleware(SecurityMiddleware, runtime=security)  # outermost: auth before body
    return app
