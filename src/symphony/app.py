"""The composition root: `create_app(settings)` builds everything inside the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import ORJSONResponse

from symphony import __version__
from symphony.api import audit as audit_api
from symphony.api import control as control_api
from symphony.api import events as events_api
from symphony.api import execute as execute_api
from symphony.api import governance as governance_api
from symphony.api import metrics as metrics_api
from symphony.api import models as models_api
from symphony.api import openai_compat as openai_api
from symphony.api import plan as plan_api
from symphony.api import policy as policy_api
from symphony.api import status as status_api
from symphony.api.errors import install_error_handlers
from symphony.api.hotpath import HotPathMiddleware
from symphony.api.limits import BodyLimitMiddleware
from symphony.api.security import SecurityMiddleware, SecurityRuntime
from symphony.api.state import AppState
from symphony.clock import Clock, SystemClock
from symphony.console.router import router as console_router
from symphony.events.bus import EventBus
from symphony.execute.executor import Executor
from symphony.execute.planning import PlanningService
from symphony.governance.governance import Governance, current_actor
from symphony.governance.killswitch import KillSwitch
from symphony.governance.policy_diff import diff_snapshots
from symphony.governance.privacy import Privacy, RedactingAuditLog
from symphony.metrics.registry import Metrics
from symphony.policy.model import PolicySnapshot
from symphony.policy.store import PolicyStore, ReloadResult
from symphony.policy.watcher import watch_policy
from symphony.providers.credentials import Credentials
from symphony.providers.health import probe_all
from symphony.providers.pool import ProviderPool
from symphony.routing.stats import LatencyStats
from symphony.security.keys import KeyStore
from symphony.settings import Settings
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.service import WindowService

log = logging.getLogger("symphony")

DESCRIPTION = """Symphony decides, for every unit of work, which model to use and why; runs it with
retries, fallbacks and cost caps; accounts for usage against every provider window; and
reports it all (SSE events, Prometheus metrics, audit)."""


DEMO_SIM_BASE = "http://127.0.0.1:8788"
DEMO_KEY_ENV = "SYMPHONY_SIM_KEY"


def rebase(snapshot: PolicySnapshot, old: str, new: str) -> PolicySnapshot:
    """Point endpoints under `old` at `new` (demo mode's simulator on another port)."""
    if old == new:
        return snapshot
    from dataclasses import replace

    models = tuple(
        replace(m, endpoint=replace(m.endpoint, base_url=new + m.endpoint.base_url[len(old) :]))
        if m.endpoint is not None and m.endpoint.base_url.startswith(old)
        else m
        for m in snapshot.models
    )
    return replace(snapshot, models=models, models_by_name={m.name: m for m in models})


def build_state(
    settings: Settings,
    clock: Clock,
    environ: dict[str, str] | None = None,
    sim_base: str | None = None,
) -> AppState:
    """Construct every service (no network, no tasks); the lifespan starts them."""
    transform = None
    if sim_base is not None:

        def transform(snap: PolicySnapshot) -> PolicySnapshot:
            return rebase(snap, DEMO_SIM_BASE, sim_base)

    policy = PolicyStore(settings.policy_file, settings.windows_file, clock, transform=transform)
    policy.load_initial()
    usage_store = SqliteUsageStore.open(settings.data_dir, settings.durability)
    windows = WindowService(usage_store, clock)
    loaded = windows.load()
    log.info("ledger: rebuilt window state from %d usage events", loaded)
    metrics = Metrics()
    metrics.set_policy_version(policy.snapshot.version)
    privacy = Privacy()  # security: one redactor for logs, events, audit, result logs
    bus = EventBus(clock, buffer_size=settings.event_buffer_size, scrub=privacy.scrub)
    stats = LatencyStats()
    env = dict(os.environ if environ is None else environ)
    if sim_base is not None:
        env.setdefault(DEMO_KEY_ENV, "sim-demo-key")
    credentials = Credentials(env)
    planning = PlanningService(policy, windows, stats, bus, metrics, credentials, clock)
    if sim_base is not None:
        planning.simulated_prefixes = (sim_base,)
    audit = RedactingAuditLog.open_with(
        settings.data_dir,
        clock,
        privacy,
        hmac_secret=settings.audit_hmac_secret,
        durability=settings.durability,
    )
    executor = Executor(planning, ProviderPool(credentials), clock, audit)
    metrics.watch_store("ledger", usage_store.writer)
    metrics.watch_store("audit", audit.writer)
    state = AppState(
        settings=settings,
        clock=clock,
        policy=policy,
        usage_store=usage_store,
        windows=windows,
        stats=stats,
        bus=bus,
        metrics=metrics,
        credentials=credentials,
        planning=planning,
    )
    state.extras.update(audit=audit, executor=executor)
    build_security(state, privacy)
    return state


# --- security and governance (issue 5) ---------------------------------------------------


def build_security(state: AppState, privacy: Privacy) -> None:
    """Keys, kill switch, governance gate and redaction, wired into the services."""
    settings, clock, audit = state.settings, state.clock, state.extras["audit"]
    keys = KeyStore.open(settings.data_dir, clock)
    killswitch = KillSwitch.open(settings.data_dir, clock)
    state.planning.killed = killswitch.check
    state.metrics.watch_kills(lambda: [kill.scope for kill in killswitch.active()])
    governance = Governance(
        settings.data_dir,
        state.policy,
        clock,
        mode=settings.governance_mode,
        audit=audit,
        publish=state.bus.publish,
    )
    state.extras.update(keys=keys, killswitch=killswitch, governance=governance, privacy=privacy)
    state.extras["executor"].redact = privacy.text
    refresh_secrets(state)

    def applied(
        before: PolicySnapshot, after: PolicySnapshot, trigger: str, actor: str | None
    ) -> None:
        state.metrics.set_policy_version(after.version)
        state.bus.publish("policy.update", {"trigger": trigger, "version": after.version})
        policy_changed(state, before, after, trigger, actor)

    governance.on_applied = applied
    governance.startup()
    state.policy.gate = governance.gate


def refresh_secrets(state: AppState) -> None:
    """Mask every configured provider key value (the policy names which env vars hold them)."""
    state.credentials.refresh()
    state.extras["privacy"].set_secrets(
        state.credentials.all_values(list(state.policy.snapshot.models))
    )


def policy_changed(
    state: AppState, before: PolicySnapshot, after: PolicySnapshot, trigger: str, actor: str | None
) -> None:
    """Audit an applied policy change (synchronously: durable before the reload answers)."""
    refresh_secrets(state)
    diff = [str(line) for line in diff_snapshots(before, after)]
    payload = {
        "trigger": trigger,
        "from": before.version,
        "to": after.version,
        "diff": diff[:200],
        "diff_lines": len(diff),
    }
    state.extras["audit"].append_sync("policy.change", payload, actor=actor or trigger)


def make_reloader(state: AppState) -> Callable[[str], ReloadResult]:
    def reload(trigger: str) -> ReloadResult:
        before = state.policy.snapshot
        actor = current_actor.get()
        result = state.policy.reload()
        if not result.ok:
            state.metrics.policy_reload.labels("rejected").inc()
            state.bus.publish(
                "policy.rejected",
                {"trigger": trigger, "errors": list(result.errors), "kept_version": result.version},
            )
            log.warning(
                "policy change rejected; keeping %s: %s", result.version, "; ".join(result.errors)
            )
            state.extras["audit"].append_sync(
                "policy.reject",
                {
                    "trigger": trigger,
                    "kept_version": result.version,
                    "errors": list(result.errors)[:50],
                },
                actor=actor[0] if actor else trigger,
            )
        else:
            state.metrics.policy_reload.labels("ok").inc()
            if result.changed:
                state.metrics.set_policy_version(result.version)
                state.bus.publish("policy.update", {"trigger": trigger, "version": result.version})
                log.info("policy %s applied (%s)", result.version, trigger)
                policy_changed(
                    state, before, state.policy.snapshot, trigger, actor[0] if actor else None
                )
            elif not result.errors:
                state.extras["governance"].files_match_active()
        return result

    return reload


async def _keys_loop(state: AppState, stop: asyncio.Event, every_s: float = 2.0) -> None:
    """Pick up keys created or revoked by the CLI (another process) within a few seconds."""
    keys = state.extras["keys"]
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
        try:
            await asyncio.to_thread(keys.refresh_if_changed)
        except Exception:  # keep serving with the keys we have
            log.exception("API key refresh failed")


async def _probe_loop(state: AppState, stop: asyncio.Event) -> None:
    settings = state.settings
    while not stop.is_set():
        try:
            state.health.update(
                await probe_all(
                    state.policy.snapshot,
                    state.credentials,
                    state.clock,
                    settings.health_probe_timeout_s,
                )
            )
        except Exception:  # a probe failure must never kill the loop
            log.exception("health probe failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.health_probe_interval_s)


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
        state = build_state(settings, clock, environ, sim_base)
        stop = asyncio.Event()
        state.extras["reload_policy"] = make_reloader(state)
        tasks: list[asyncio.Task[Any]] = []
        app.state.symphony = state
        tasks.append(asyncio.create_task(_probe_loop(state, stop), name="health-probe"))
        security.bind(keys=state.extras["keys"], metrics=state.metrics, bus=state.bus)
        state.extras["privacy"].install_logging()
        tasks.append(asyncio.create_task(_keys_loop(state, stop), name="keys-refresh"))
        if settings.watch_policy:
            files = [settings.policy_file] + (
                [settings.windows_file] if settings.windows_file else []
            )
            reload = state.extras["reload_policy"]
            tasks.append(
                asyncio.create_task(
                    watch_policy(files, lambda: reload("watch"), stop), name="policy-watch"
                )
            )
        try:
            yield
        finally:
            stop.set()
            state.bus.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await state.extras["executor"].aclose()
            await state.extras["executor"].pool.aclose()
            state.extras["audit"].close()
            state.extras["keys"].close()
            state.extras["privacy"].uninstall_logging()
            state.usage_store.close()
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
    )

    def count_error(request: Request, code: str) -> None:
        state: AppState | None = getattr(request.app.state, "symphony", None)
        if state is not None:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            state.metrics.errors.labels(path, code).inc()

    install_error_handlers(app, count_error)
    for module in (
        plan_api,
        execute_api,
        openai_api,
        models_api,
        status_api,
        events_api,
        metrics_api,
        policy_api,
    ):
        app.include_router(module.router)
    for module in (control_api, audit_api, governance_api):  # security and governance
        app.include_router(module.router)
    app.include_router(console_router)  # the operator page; its API calls carry the key
    app.add_middleware(HotPathMiddleware)  # innermost: /v1/chat/completions skips the router
    app.add_middleware(BodyLimitMiddleware, limit=settings.body_limit_bytes)
    app.add_middleware(SecurityMiddleware, runtime=security)  # outermost: auth before body
    return app
