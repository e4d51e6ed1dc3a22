"""The incidents' runtime: built once by the composition root (store, evaluator, lifecycle,
outbox, integration clients or demo fakes), and the loops a long-running Symphony runs: the
SLO evaluator's tick (which follows policy reloads) and the outbox's delivery with retry and
backoff. Both loops end at `stop`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from symphony.clock import Clock
from symphony.flows.incidents import IncidentFlow
from symphony.incidents.builder import IncidentServices, build_incident_services
from symphony.incidents.config import IncidentsSettings
from symphony.incidents.outbox import RetryPolicy
from symphony.incidents.parity import ParityError, ParitySpec, load_parity
from symphony.incidents.roadmap_status import StatusMap
from symphony.incidents.service import IncidentService
from symphony.integrations.fakes import FakeStack
from symphony.jobs.system import SystemJob, daily_at
from symphony.metrics.slo import SloMetrics
from symphony.policy.model import SloSpec
from symphony.policy.store import PolicyStore
from symphony.store.sqlite import Durability

log = logging.getLogger(__name__)
DEMO_EVAL_INTERVAL_S = 1.0  # demo mode evaluates at least this often (drill-sized SLOs)


class ParityWatch:
    """The parity file, re-read when it changes (checked on every evaluation); an invalid
    edit is logged with every error and the last good file keeps applying."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._mtime()
        self.last_error: str | None = None

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    def changed(self) -> ParitySpec | None:
        stamp = self._mtime()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            spec = load_parity(self.path)
        except ParityError as exc:
            self.last_error = str(exc)
            log.warning("parity file %s not applied: %s", self.path, exc)
            return None
        self.last_error = None
        log.info("parity file %s applied (version %s)", self.path, spec.version)
        return spec


class IncidentLoops:
    def __init__(
        self,
        incidents: IncidentServices,
        policy: PolicyStore,
        parity: ParityWatch,
        eval_interval_s: float,
        outbox_poll_s: float,
    ) -> None:
        self.incidents = incidents
        self.policy = policy
        self.parity = parity
        self.eval_interval_s = eval_interval_s
        self.outbox_poll_s = outbox_poll_s
        self._slos: tuple[SloSpec, ...] = policy.snapshot.slos

    async def tick(self) -> int:
        """One evaluation: adopt reloaded SLOs and parity file, hand every alert change to
        the incident service; returns how many alert changes there were."""
        parity = self.parity.changed()
        if parity is not None:
            self.incidents.incidents.set_parity(parity)
        slos = self.policy.snapshot.slos
        if slos != self._slos:
            self.incidents.slo.apply(slos)
            self._slos = slos
        changes = self.incidents.slo.tick()
        for alert in changes:
            try:
                await self.incidents.incidents.on_slo_alert(alert)
            except Exception:  # the loop must outlive one bad delivery (retried next change)
                log.exception("incident service failed on the %s alert", alert.slo)
        return len(changes)

    async def evaluate(self, stop: asyncio.Event) -> None:
        """Tick every `eval_interval_s` seconds until `stop`."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("SLO evaluation failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.eval_interval_s)

    async def deliver(self, stop: asyncio.Event) -> None:
        """Run the outbox (retries, backoff, Retry-After) until `stop`."""
        task = asyncio.create_task(self.incidents.outbox.run(poll_s=self.outbox_poll_s))
        try:
            await stop.wait()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def system_jobs(self, roadmap_at: str | None) -> tuple[SystemJob, ...]:
        """The nightly roadmap hook as a system job on the job scheduler (jobs/system.py):
        with a shared queue one replica files the day's SLO debt, not every replica."""
        if not roadmap_at or roadmap_at == "off":
            return ()
        roadmap = self.incidents.roadmap

        async def file_slo_debt(now: datetime) -> dict[str, Any]:
            filed = await roadmap.file_slo_debt(now)
            return {"filed": None if filed is None else filed.id}

        return (SystemJob("incidents.roadmap", daily_at(roadmap_at), file_slo_debt),)

    async def sync_roadmap(self, stop: asyncio.Event, every_s: float) -> None:
        """Mirror roadmap statuses (Jira epic <-> GitHub Project item) every `every_s`."""
        sync = self.incidents.roadmap_sync
        if sync is None:
            return
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every_s)
            if stop.is_set():
                return
            try:
                report = await sync.run()
            except Exception:
                log.exception("the roadmap sync failed")
                continue
            if report.synced or report.failed:
                log.info(
                    "roadmap sync: %d changed, %d conflicts, %d failed",
                    len(report.synced),
                    len(report.conflicts),
                    len(report.failed),
                )

    def loops(
        self, stop: asyncio.Event, roadmap_sync_s: float | None = None
    ) -> dict[str, Coroutine[Any, Any, None]]:
        loops = {"slo-evaluator": self.evaluate(stop), "incident-outbox": self.deliver(stop)}
        if roadmap_sync_s and self.incidents.roadmap_sync is not None:
            loops["roadmap-sync"] = self.sync_roadmap(stop, roadmap_sync_s)
        return loops


def next_run(now: datetime, at: str) -> datetime:
    """The next instant after `now` whose UTC time of day is `at` (HH:MM)."""
    hour, minute = (int(part) for part in at.split(":"))
    today = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class IncidentRuntime:
    """The SLO and incident services of one process, what they call out with, and (in
    demo mode) the in-process fakes that stand in for GitHub, Jira, Slack and PagerDuty."""

    settings: IncidentsSettings
    services: IncidentServices
    flow: IncidentFlow
    loops: IncidentLoops
    http: httpx.AsyncClient
    fakes: FakeStack | None

    @property
    def incidents(self) -> IncidentService:
        """The incident lifecycle (what the MCP `incidents` tool reads)."""
        return self.services.incidents

    def integration_states(self) -> list[dict[str, object]]:
        """Each integration on or off (and why), and whether a demo fake stands in; never
        a secret (what health, /integrations and the console show)."""
        fake = self.fakes is not None
        return [
            {**s.to_dict(), "fake": fake and s.enabled} for s in self.services.integrations.statuses
        ]

    async def start(self) -> None:
        """Load incidents and pending outbox entries from disk (before serving)."""
        await self.services.start()

    async def aclose(self) -> None:
        await self.flow.drain()
        await self.http.aclose()
        self.services.close()


def build_incident_runtime(
    settings: IncidentsSettings,
    environ: Mapping[str, str],
    *,
    demo: bool,
    data_dir: Path,
    durability: Durability,
    policy: PolicyStore,
    metrics: SloMetrics,
    clock: Clock,
    flow: IncidentFlow,
) -> IncidentRuntime:
    """Everything the incidents need, constructed (no network, no tasks)."""
    fakes: FakeStack | None = None
    timeout = settings.incidents_http_timeout_s
    vendor_env = settings.vendor_environ(environ)
    project = settings.incidents_github_project
    if demo and settings.incidents_demo_fakes and not settings.points_at_real(environ):
        fakes = FakeStack()
        vendor_env = fakes.environ()
        http = fakes.http_client(timeout_s=timeout)
        project = project or f"{fakes.github.project.owner}/{fakes.github.project.number}"
    else:
        http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    services = build_incident_services(
        data_dir=data_dir,
        environ=vendor_env,
        parity=load_parity(settings.incidents_parity_file),
        slo_specs=lambda: policy.snapshot.slos,
        metrics=metrics,
        clock=clock,
        http=http,
        on_fact=flow.fact,
        artifacts=flow.artifacts,
        durability=durability,
        roadmap_threshold=settings.incidents_roadmap_threshold,
        roadmap_project=project,
        roadmap_statuses=StatusMap.parse(settings.incidents_roadmap_status_map),
        retry=RetryPolicy(
            base_s=settings.incidents_retry_base_s,
            cap_s=settings.incidents_retry_cap_s,
            max_attempts=settings.incidents_retry_max_attempts,
        ),
    )
    flow.feed(services.slo)
    interval = settings.incidents_eval_interval_s
    loops = IncidentLoops(
        services,
        policy,
        ParityWatch(settings.incidents_parity_file),
        min(interval, DEMO_EVAL_INTERVAL_S) if demo else interval,
        settings.incidents_outbox_poll_s,
    )
    return IncidentRuntime(settings, services, flow, loops, http, fakes)
