"""One builder for the SLO and incident services, for the app, the CLI and job workers.
Everything is passed in (environment mapping, clock, HTTP client, fact sink): nothing is
read at import and nothing starts until the caller runs `start()` and the loops."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from symphony.clock import Clock
from symphony.incidents.actions import ActionRunner
from symphony.incidents.book import IncidentBook
from symphony.incidents.outbox import FactSink, Outbox, RetryPolicy
from symphony.incidents.parity import ParitySpec
from symphony.incidents.roadmap import RoadmapFiler
from symphony.incidents.roadmap_status import DEFAULT_MAP, StatusMap
from symphony.incidents.roadmap_sync import RoadmapSync
from symphony.incidents.service import ArtifactSource, IncidentService, IncidentSettings
from symphony.incidents.slo import SloEvaluator
from symphony.incidents.slo_service import SloService
from symphony.incidents.store import IncidentStore
from symphony.integrations.github.client import GitHubClient
from symphony.integrations.github.projects import GitHubProjects
from symphony.integrations.jira.client import JiraClient
from symphony.integrations.registry import IntegrationConfigs, Integrations, build_integrations
from symphony.metrics.slo import SloMetrics
from symphony.policy.model import SloSpec
from symphony.store.sqlite import Durability


@dataclass(slots=True)
class IncidentServices:
    slo: SloService
    incidents: IncidentService
    outbox: Outbox
    store: IncidentStore
    integrations: Integrations
    roadmap: RoadmapFiler
    roadmap_sync: RoadmapSync | None  # None: no project, or GitHub or Jira is off

    async def start(self) -> None:
        """Load incidents and pending outbox entries from disk."""
        await self.incidents.load()

    def close(self) -> None:
        self.store.close()


def build_incident_services(
    *,
    data_dir: Path,
    environ: Mapping[str, str],
    parity: ParitySpec,
    slo_specs: Callable[[], Sequence[SloSpec]],
    metrics: SloMetrics,
    clock: Clock,
    http: httpx.AsyncClient,
    on_fact: FactSink,
    artifacts: ArtifactSource,
    durability: Durability = "process",
    retry: RetryPolicy | None = None,
    settings: IncidentSettings | None = None,
    roadmap_threshold: float = 0.25,
    roadmap_project: str | None = None,
    roadmap_statuses: StatusMap | None = None,
) -> IncidentServices:
    """Wire the store, book, integrations, outbox, incident service and SLO service."""
    configs = IntegrationConfigs.from_env(environ, default_repo=parity.github_repo)
    integrations = build_integrations(configs, parity.jira, http, clock)
    store = IncidentStore.open(data_dir, durability)
    book = IncidentBook()
    outbox = Outbox(
        store,
        book,
        ActionRunner(integrations),
        clock,
        metrics,
        on_fact,
        retry or RetryPolicy(),
    )
    incidents = IncidentService(
        store,
        book,
        outbox,
        integrations,
        parity,
        clock,
        metrics,
        on_fact,
        artifacts,
        slo_specs,
        settings or IncidentSettings(),
    )
    slo = SloService(SloEvaluator(slo_specs()), metrics, clock)
    roadmap = RoadmapFiler(incidents, slo.status, roadmap_threshold)
    sync = None
    if roadmap_project and "github" in integrations.tickets and "jira" in integrations.tickets:
        sync = RoadmapSync(
            incidents,
            GitHubProjects(configs.github, http, clock),
            GitHubClient(configs.github, http, clock),
            JiraClient(configs.jira, http, clock),
            roadmap_project,
            roadmap_statuses or StatusMap.parse(DEFAULT_MAP),
        )
    return IncidentServices(slo, incidents, outbox, store, integrations, roadmap, sync)
