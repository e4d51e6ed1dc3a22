"""Every service, typed, built once: the one builder the app, the CLI and workers share.

`build_services` constructs everything with constructor injection (no network, no tasks);
`Services.background` gives the loops a long-running front end starts; `Services.aclose`
releases what was opened. A second front end (the MCP server, a job worker) calls the same
builder and gets the same wiring, kill switch and redaction included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from symphony.audit.log import AuditLog
from symphony.audit.queries import AUDIT_LAYOUT, AUDIT_PG_SCHEMA
from symphony.clock import Clock
from symphony.errors import StoreError, SymphonyError
from symphony.events.bus import EventBus, decode_event, encode_event
from symphony.execute.evidence import WebEvidence
from symphony.execute.executor import Executor
from symphony.execute.planning import PlanningService
from symphony.flows.budgets import BudgetWatch
from symphony.flows.control import ControlFlow
from symphony.flows.health import HealthProbes
from symphony.flows.incident_runtime import IncidentRuntime, build_incident_runtime
from symphony.flows.incidents import IncidentFlow
from symphony.flows.keys import KeyWatch
from symphony.flows.observe import ObserveFlow
from symphony.flows.plans import PlanFlow
from symphony.flows.policy import PolicyFacts, PolicyFlow
from symphony.flows.web import WebFlow
from symphony.governance.governance import Governance
from symphony.governance.killswitch import KillSwitch
from symphony.governance.privacy import Privacy, RedactingAuditLog
from symphony.incidents.config import IncidentsSettings
from symphony.ingest.config import WebSettings, load_settings
from symphony.ingest.keys import SigningKey
from symphony.ingest.service import IngestService
from symphony.ingest.stack import open_web_stack
from symphony.ingest.store import SnapshotStore
from symphony.jobs.service import JobLimits, JobService
from symphony.jobs.system import SystemRunner
from symphony.metrics.registry import Metrics
from symphony.policy.model import PolicySnapshot
from symphony.policy.store import PolicyStore
from symphony.policy.watcher import watch_policy
from symphony.policy.web import WebPolicy
from symphony.providers.credentials import Credentials
from symphony.providers.pool import ProviderPool
from symphony.rag.config import RagSettings
from symphony.rag.corpus import Corpus
from symphony.rag.service import RagService
from symphony.routing.stats import LatencyStats
from symphony.security.keys import KeyStore, open_key_documents
from symphony.settings import Settings
from symphony.store.counters import Counters
from symphony.store.datadir import claim_data_dir
from symphony.store.json_files import JsonFiles
from symphony.store.shared import SharedStores
from symphony.store.sqlite_jobs import SqliteJobQueue
from symphony.windows.admission import ReservationBook
from symphony.windows.ledger import SqliteUsageStore, UsageStore
from symphony.windows.pg_ledger import PgUsageStore, pg_usage_schema
from symphony.windows.service import WindowService

log = logging.getLogger("symphony")

DEMO_SIM_BASE = "http://127.0.0.1:8788"
DEMO_KEY_ENV = "SYMPHONY_SIM_KEY"


@dataclass(frozen=True, slots=True)
class Services:
    """Every service of one Symphony process, each a typed field."""

    settings: Settings
    clock: Clock
    policy: PolicyStore
    usage_store: UsageStore
    windows: WindowService
    stats: LatencyStats
    metrics: Metrics
    privacy: Privacy
    bus: EventBus
    credentials: Credentials
    audit: RedactingAuditLog
    keys: KeyStore
    killswitch: KillSwitch
    governance: Governance
    planning: PlanningService
    pool: ProviderPool
    executor: Executor
    policy_flow: PolicyFlow
    plans: PlanFlow
    control: ControlFlow
    observations: ObserveFlow
    key_watch: KeyWatch
    probes: HealthProbes
    stores: SharedStores  # which seams are shared (Redis/PostgreSQL) or embedded
    counters: Counters  # window counters and reservations (Redis when shared)
    incidents: IncidentRuntime  # SLO evaluator, incidents, outbox, integrations
    jobs: JobService
    budgets: BudgetWatch
    web_settings: WebSettings
    rag_settings: RagSettings
    corpus: Corpus
    snapshots: SnapshotStore
    signing_key: SigningKey
    ingest: IngestService
    rag: RagService
    web: WebFlow
    health: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def start(self) -> None:
        """Load what must be in memory before serving (incidents and their outbox); queue
        this process's system jobs (the job worker queues them later if the store is down)."""
        await self.incidents.start()
        try:
            await self.jobs.ensure_system_jobs()
        except StoreError as exc:
            log.warning("system jobs not queued at start (the worker retries): %s", exc)

    def background(self, stop: asyncio.Event) -> dict[str, Coroutine[Any, Any, None]]:
        """The loops a long-running front end runs (name → coroutine), until `stop`."""
        loops: dict[str, Coroutine[Any, Any, None]] = {
            "health-probe": self.probes.run(stop),
            "keys-refresh": self.key_watch.run(stop),
            "web-refresh": self.web.run(stop),
        }
        loops["budget-watch"] = self.budgets.run(stop)
        if self.settings.jobs_enabled:
            loops["jobs-worker"] = self.jobs.run(stop)
        if self.stores.kind != "embedded":
            loops["store-health"] = self.stores.watch(stop)
        if self.stores.redis is not None:  # kills made on another replica, within a second
            loops["kill-refresh"] = _every(1.0, self.killswitch.refresh_if_changed, stop)
        start_feed = getattr(self.bus.feed, "start", None)
        if start_feed is not None:  # a shared feed reads every replica's events from start
            loops["event-feed"] = _started(start_feed, stop)
        if self.settings.watch_policy:
            files = [self.settings.policy_file]
            if self.settings.windows_file:
                files.append(self.settings.windows_file)
            reload = self.policy_flow.areload

            async def on_change() -> None:
                await reload("watch")

            loops["policy-watch"] = watch_policy(files, on_change, stop)
        incidents = self.incidents.settings
        if incidents.incidents_enabled:
            loops.update(self.incidents.loops.loops(stop, incidents.incidents_roadmap_sync_s))
        return loops

    async def aclose(self) -> None:
        """Finish background accounting, then close every store (reverse of opening)."""
        self.bus.close()
        await self.executor.aclose()
        await self.pool.aclose()
        await self.incidents.aclose()
        self.jobs.queue.close()
        await self.ingest.close()
        self.snapshots.close()
        self.corpus.close()
        self.audit.close()
        self.keys.close()
        self.usage_store.close()
        self.counters.close()
        await self.stores.aclose()


async def _started(start: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    await start()
    await stop.wait()


async def _every(every_s: float, job: Callable[[], object], stop: asyncio.Event) -> None:
    """Run the blocking `job` in a thread every `every_s` until `stop`; a store that is
    down is logged and retried (health reports it)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
        try:
            await asyncio.to_thread(job)
        except SymphonyError as exc:
            log.warning("background refresh failed: %s", exc.message)


def open_audit(
    settings: Settings, clock: Clock, privacy: Privacy, stores: SharedStores
) -> RedactingAuditLog:
    """The audit chain: PostgreSQL when SYMPHONY_DATABASE_URL is set, else data_dir/audit.db."""
    shared_log = stores.pg_log(AUDIT_LAYOUT, AUDIT_PG_SCHEMA)
    if shared_log is None:
        return RedactingAuditLog.open_with(
            settings.data_dir,
            clock,
            privacy,
            hmac_secret=settings.audit_hmac_secret,
            durability=settings.durability,
        )
    inner = AuditLog(shared_log, clock, hmac_secret=settings.audit_hmac_secret)
    return RedactingAuditLog(inner, privacy)


def open_usage_store(settings: Settings, stores: SharedStores) -> SqliteUsageStore | PgUsageStore:
    """The usage ledger: PostgreSQL when SYMPHONY_DATABASE_URL is set (every replica's usage
    in one table, learned window state beside it), else data_dir/ledger.db."""
    conn = stores.pg_tables(pg_usage_schema())
    if conn is None:
        return SqliteUsageStore.open(settings.data_dir, settings.durability)
    return PgUsageStore(conn)  # on the shared pool: SharedStores closes it


def open_keys(settings: Settings, clock: Clock, stores: SharedStores) -> KeyStore:
    """API keys: PostgreSQL when SYMPHONY_DATABASE_URL is set, else data_dir/keys.db."""
    docs = stores.pg_documents("api_keys", lambda: open_key_documents(settings.data_dir))
    return KeyStore(docs, clock, owns_docs=True)


def rebase(snapshot: PolicySnapshot, old: str, new: str) -> PolicySnapshot:
    """Point endpoints under `old` at `new` (demo mode's simulator on another port)."""
    if old == new:
        return snapshot
    models = tuple(
        replace(m, endpoint=replace(m.endpoint, base_url=new + m.endpoint.base_url[len(old) :]))
        if m.endpoint is not None and m.endpoint.base_url.startswith(old)
        else m
        for m in snapshot.models
    )
    return replace(snapshot, models=models, models_by_name={m.name: m for m in models})


def build_services(
    settings: Settings,
    clock: Clock,
    environ: Mapping[str, str] | None = None,
    sim_base: str | None = None,
    incidents_settings: IncidentsSettings | None = None,
) -> Services:
    """Construct every service (no network, no tasks); `background` starts the loops.

    `sim_base`: demo mode's in-process simulator; its models are rebased there and marked
    simulated. `environ` holds provider keys and integration credentials (default: the
    process environment); `incidents_settings` default: read from `environ`."""
    transform: Callable[[PolicySnapshot], PolicySnapshot] | None = None
    if sim_base is not None:
        base = sim_base

        def transform(snap: PolicySnapshot) -> PolicySnapshot:
            return rebase(snap, DEMO_SIM_BASE, base)

    policy = PolicyStore(settings.policy_file, settings.windows_file, clock, transform=transform)
    policy.load_initial()
    # Demo records (simulated calls) and a real service's never share a directory.
    claim_data_dir(settings.data_dir, demo=sim_base is not None)
    stores = SharedStores.open(settings, clock)
    usage_store = open_usage_store(settings, stores)
    # Calls in flight hold their units here (reserve -> call -> settle): in this process, or
    # on Redis when SYMPHONY_REDIS_URL is set, so every replica reserves against one count.
    counters = stores.counters()
    book = ReservationBook(
        counters,
        clock,
        ttl=timedelta(seconds=settings.admission_ttl_s),
        shared=stores.redis is not None,
    )
    windows = WindowService(usage_store, clock, book)
    log.info("ledger: rebuilt window state from %d usage events", windows.load())
    metrics = Metrics()
    metrics.set_policy_version(policy.snapshot.version)
    privacy = Privacy()  # one redactor for logs, events, audit records and result logs
    bus = EventBus(
        clock,
        buffer_size=settings.event_buffer_size,
        scrub=privacy.scrub,
        feed=stores.feed("events", encode_event, decode_event, settings.event_buffer_size),
    )
    env = dict(os.environ if environ is None else environ)
    if sim_base is not None:
        env.setdefault(DEMO_KEY_ENV, "sim-demo-key")
    credentials = Credentials(env)
    audit = open_audit(settings, clock, privacy, stores)
    keys = open_keys(settings, clock, stores)
    killswitch = KillSwitch(
        stores.redis_documents("killswitch", lambda: JsonFiles(settings.data_dir)), clock
    )
    metrics.watch_store("ledger", usage_store)
    metrics.watch_store("audit", audit)
    metrics.watch_kills(lambda: [kill.scope for kill in killswitch.active()])
    facts = PolicyFacts(policy, audit, bus, metrics, credentials, privacy)
    governance = Governance.open(
        settings.data_dir,
        policy,
        clock,
        mode=settings.governance_mode,
        audit=audit,
        publish=bus.emit,
        on_applied=facts.applied,
    )
    facts.refresh_secrets()
    governance.startup()
    stats = LatencyStats()
    planning = PlanningService(
        policy,
        windows,
        stats,
        bus,
        metrics,
        credentials,
        clock,
        killed=killswitch.check,
        simulated_prefixes=(sim_base,) if sim_base is not None else (),
    )
    pool = ProviderPool(credentials)
    health: dict[str, dict[str, Any]] = {}
    incidents = build_incident_runtime(
        incidents_settings or IncidentsSettings.from_env(env),
        env,
        demo=settings.demo,
        data_dir=settings.data_dir,
        durability=settings.durability,
        policy=policy,
        metrics=metrics.slo,
        clock=clock,
        flow=IncidentFlow(audit, bus, policy, windows, stats, clock),
    )
    web_settings, rag_settings = load_settings(env)

    def web_policy() -> WebPolicy:
        return policy.snapshot.web  # read per ingest: a policy reload applies to the next

    stack = open_web_stack(
        data_dir=settings.data_dir,
        web=web_settings,
        rag=rag_settings,
        governance=web_policy,
        clock=clock,
        durability=settings.durability,
    )
    metrics.watch_store("rag", stack.corpus.writer)
    metrics.watch_store("ingest", stack.snapshots.writer)
    web = WebFlow(
        stack.ingest,
        stack.rag,
        stack.snapshots,
        stack.signing_key,
        policy,
        audit,
        bus,
        metrics,
        clock,
        check_interval_s=web_settings.refresh_check_s,
    )
    evidence = WebEvidence(
        stack.rag,
        stack.corpus,
        policy,
        audit,
        clock,
        web.fetch_for_execute,
        budget_tokens=rag_settings.evidence_tokens,
    )
    executor = Executor(
        planning,
        pool,
        clock,
        audit,
        privacy.text,
        evidence,
        deadline_s=settings.request_timeout_s,
        max_response_bytes=settings.max_upstream_response_bytes,
    )
    # Periodic work of this process that runs as cron jobs on the scheduler (jobs/system.py).
    inc = incidents.settings
    system_jobs = incidents.loops.system_jobs(
        inc.incidents_roadmap_at if inc.incidents_enabled else None
    )
    # Jobs on PostgreSQL when SYMPHONY_DATABASE_URL is set (every replica's worker claims
    # from one table), else in data/jobs.db.
    job_queue = stores.pg_jobs(
        lambda: SqliteJobQueue.open(settings.data_dir / "jobs.db", settings.durability)
    )
    if isinstance(job_queue, SqliteJobQueue):
        metrics.watch_store("jobs", job_queue.writer)
    jobs = JobService(
        job_queue,
        executor,
        audit,
        bus,
        metrics,
        clock,
        JobLimits(
            poll_interval_s=settings.jobs_poll_interval_s,
            concurrency=settings.jobs_concurrency,
            lease_s=settings.jobs_lease_s,
            max_attempts=settings.jobs_max_attempts,
            retry_backoff_s=settings.jobs_retry_backoff_s,
            deadline_s=settings.jobs_deadline_s,
        ),
        holder=f"{socket.gethostname()}:{os.getpid()}",
        system=SystemRunner(system_jobs),
    )
    return Services(
        settings=settings,
        clock=clock,
        policy=policy,
        usage_store=usage_store,
        windows=windows,
        stats=stats,
        metrics=metrics,
        privacy=privacy,
        bus=bus,
        credentials=credentials,
        audit=audit,
        keys=keys,
        killswitch=killswitch,
        governance=governance,
        planning=planning,
        pool=pool,
        executor=executor,
        policy_flow=PolicyFlow(policy, governance, facts),
        plans=PlanFlow(planning, audit, bus),
        control=ControlFlow(killswitch, policy, audit, bus, privacy.text),
        observations=ObserveFlow(policy, windows, audit, bus, clock, privacy.text),
        key_watch=KeyWatch(keys, bus),
        probes=HealthProbes(
            policy,
            credentials,
            clock,
            health,
            interval_s=settings.health_probe_interval_s,
            timeout_s=settings.health_probe_timeout_s,
        ),
        stores=stores,
        counters=counters,
        incidents=incidents,
        jobs=jobs,
        budgets=BudgetWatch(planning, audit, bus, metrics, clock),
        web_settings=web_settings,
        rag_settings=rag_settings,
        corpus=stack.corpus,
        snapshots=stack.snapshots,
        signing_key=stack.signing_key,
        ingest=stack.ingest,
        rag=stack.rag,
        web=web,
        health=health,
    )
