"""Web ingest as an action: ingest, audit, publish and count together; scheduled refresh.

Every ingest (an API call, a policy source on its schedule, a reindex) ends here with one
`ingest` audit record, one fact (`ingest.completed` when something is in the corpus,
`ingest.failed` when every URL was refused or failed) and its metrics. The freshness of the
corpus and of each policy source is recorded for the staleness gauges and published as
`rag.index.freshness`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.errors import NotFoundError, SymphonyError
from symphony.events.bus import EventBus
from symphony.events.facts import (
    IngestCompleted,
    IngestFailed,
    RagFreshness,
    ReindexProgressed,
)
from symphony.execute.evidence import Fetched
from symphony.flows.web_reports import IngestReport, SourceFreshness, document_dict
from symphony.ingest.keys import SigningKey
from symphony.ingest.outcome import Outcome
from symphony.ingest.service import IngestService, Strategy
from symphony.ingest.snapshot import verify_snapshot
from symphony.ingest.store import SnapshotStore
from symphony.kit.ids import new_id
from symphony.metrics.registry import Metrics
from symphony.policy.store import PolicyStore
from symphony.policy.web import WebSource
from symphony.rag.models import DocumentRecord, RagStatus, ReindexProgress, ReindexSummary
from symphony.rag.service import RagService

log = logging.getLogger(__name__)
MAX_AUDITED_ITEMS = 100
RETRY_S = 600.0  # a failing scheduled source is tried again after this (or its refresh)


class WebFlow:
    """Ingest with its audit, fact and metrics; source freshness; the refresh loop."""

    def __init__(
        self,
        ingest: IngestService,
        rag: RagService,
        snapshots: SnapshotStore,
        signing_key: SigningKey,
        policy: PolicyStore,
        audit: AuditSink,
        bus: EventBus,
        metrics: Metrics,
        clock: Clock,
        *,
        check_interval_s: float,
    ) -> None:
        self.ingest_service = ingest
        self.rag = rag
        self.snapshots = snapshots
        self.signing_key = signing_key
        self.policy = policy
        self.audit = audit
        self.bus = bus
        self.metrics = metrics
        self.clock = clock
        self.check_interval_s = check_interval_s
        self._running: set[str] = set()  # sources being refreshed now
        self._attempted: dict[str, datetime] = {}  # source -> last scheduled attempt

    async def ingest(
        self,
        urls: Sequence[str],
        strategy: Strategy,
        *,
        trigger: str,
        actor: str | None = None,
        source: str | None = None,
    ) -> IngestReport:
        """Fetch `urls` into the corpus under every rule; audit, publish and count it."""
        ingest_id = new_id("ing")
        started = time.perf_counter()
        try:
            outcomes = await self.ingest_service.ingest(urls, strategy)
        except SymphonyError:
            raise  # a refused request (bad strategy): nothing was attempted
        except Exception as exc:
            log.exception("ingest %s broke", ingest_id)
            failed = tuple(Outcome(url=u, outcome="failed", reason="error", detail=str(exc))
                           for u in urls)  # fmt: skip
            await self._conclude(
                IngestReport(ingest_id, trigger, source, strategy, failed,
                             time.perf_counter() - started), actor)  # fmt: skip
            raise
        report = IngestReport(
            ingest_id, trigger, source, strategy, tuple(outcomes), time.perf_counter() - started
        )
        await self._conclude(report, actor)
        return report

    async def fetch_for_execute(
        self, urls: tuple[str, ...], strategy: str, actor: str | None
    ) -> list[Fetched]:
        """The URLs of a `visit`/`scrape` execute, ingested (and audited) like any other."""
        chosen: Strategy = "scrape" if strategy == "scrape" else "visit"
        report = await self.ingest(urls, chosen, trigger="execute", actor=actor)
        return [Fetched(o.url, o.outcome, o.reason, o.document_id) for o in report.items]

    async def ingest_source(
        self, name: str, *, trigger: str, actor: str | None = None
    ) -> IngestReport:
        """Ingest the seed URLs of the policy source `name` (NotFoundError if unknown)."""
        source = self.policy.snapshot.web.source(name)
        if source is None:
            known = ", ".join(s.name for s in self.policy.snapshot.web.sources) or "none"
            raise NotFoundError(f"unknown web source '{name}' (policy sources: {known})")
        strategy: Strategy = "scrape" if source.strategy == "scrape" else "visit"
        return await self.ingest(
            source.urls, strategy, trigger=trigger, actor=actor, source=source.name
        )

    async def _conclude(self, report: IngestReport, actor: str | None) -> None:
        counts = report.counts()
        web = self.metrics.web
        for outcome, count in counts.items():
            web.urls.labels(outcome, report.trigger).inc(count)
        web.seconds.labels(report.trigger).observe(report.seconds)
        body = report.to_dict()
        body["items"] = [
            {"url": o.url, "outcome": o.outcome, "reason": o.reason, "document_id": o.document_id,
             "snapshot_id": o.snapshot_id}
            for o in report.items[:MAX_AUDITED_ITEMS]
        ]  # fmt: skip
        await self.audit.append("ingest", body, actor=actor)
        if report.stored:
            self.bus.emit(
                IngestCompleted(
                    ingest_id=report.ingest_id,
                    trigger=report.trigger,
                    source=report.source,
                    strategy=report.strategy,
                    urls=len(report.items),
                    ingested=counts["ingested"],
                    duplicate=counts["duplicate"],
                    refused=counts["refused"],
                    failed=counts["failed"],
                    seconds=round(report.seconds, 3),
                )
            )
        else:
            self.bus.emit(
                IngestFailed(
                    ingest_id=report.ingest_id,
                    trigger=report.trigger,
                    source=report.source,
                    strategy=report.strategy,
                    urls=len(report.items),
                    refused=counts["refused"],
                    failed=counts["failed"],
                    reasons=sorted({o.reason or o.outcome for o in report.items}),
                )
            )
        await self.freshness(publish=True)

    # --- freshness ----------------------------------------------------------------------
    async def sources(self) -> list[SourceFreshness]:
        """Every policy source with its newest document and whether it is stale or due."""
        web = self.policy.snapshot.web
        now = self.clock.now()
        out: list[SourceFreshness] = []
        for source in web.sources:
            newest = await self.rag.corpus.newest_fetched(source.prefixes)
            age = None if newest is None else max(0.0, (now - newest).total_seconds())
            limit = web.max_age_for(source)
            out.append(
                SourceFreshness(
                    name=source.name,
                    urls=source.urls,
                    newest_fetched_at=newest,
                    age_s=age,
                    max_age_s=limit,
                    refresh_s=source.refresh_s,
                    stale=age is None or age > limit,
                    due=_due(source, age, self._since_attempt(source.name, now)),
                )
            )
        return out

    async def freshness(self, *, publish: bool) -> tuple[RagStatus, list[SourceFreshness]]:
        """The corpus status and every source's freshness; recorded for the staleness gauges
        and, with `publish`, announced as `rag.index.freshness`."""
        status = await self.rag.status()
        sources = await self.sources()
        web = self.metrics.web
        last = status.last_indexed_at
        web.observe_corpus(status.corpus, None if last is None else last.timestamp())
        web.observe_sources(
            {s.name: None if s.newest_fetched_at is None else s.newest_fetched_at.timestamp()
             for s in sources}
        )  # fmt: skip
        if publish:
            self.bus.emit(
                RagFreshness(
                    corpus=status.corpus,
                    staleness_s=None
                    if status.staleness_seconds is None
                    else round(status.staleness_seconds, 3),
                    stale=status.stale,
                    documents=status.documents,
                    stale_sources=[s.name for s in sources if s.stale],
                )
            )
        return status, sources

    async def reindex(self, actor: str | None) -> ReindexSummary:
        """Re-fetch every stale document (under every ingest rule), audited and published."""
        started = time.perf_counter()
        reindex_id = new_id("ing")

        def progress(step: ReindexProgress) -> None:
            self.bus.emit(
                ReindexProgressed(
                    reindex_id=reindex_id,
                    done=step.done,
                    total=step.total,
                    url=step.url,
                    outcome=step.outcome,
                    reason=step.reason,
                )
            )

        summary = await self.rag.reindex(progress)
        items = tuple(
            Outcome(url=str(i["url"]), outcome=i["outcome"], reason=i["reason"], detail="")  # type: ignore[arg-type]
            for i in summary.items
        )
        report = IngestReport(
            reindex_id, "reindex", None, "refetch", items, time.perf_counter() - started
        )
        if items:
            await self._conclude(report, actor)
        else:
            await self.freshness(publish=True)
        return summary

    def _since_attempt(self, name: str, now: datetime) -> float | None:
        last = self._attempted.get(name)
        return None if last is None else (now - last).total_seconds()

    # --- documents ----------------------------------------------------------------------
    async def documents(self, limit: int, offset: int) -> dict[str, Any]:
        """A page of the corpus, newest fetch first."""
        records, total = await self.rag.corpus.page(limit, offset)
        return {
            "documents": [document_dict(r) for r in records],
            "total": total,
            "limit": limit,
            "offset": offset,
        }

    async def document(self, doc_id: str) -> dict[str, Any]:
        """One document with its text and its snapshot's signature check."""
        record = await self.rag.corpus.by_id(doc_id)
        if record is None:
            raise NotFoundError(f"no document '{doc_id}' in the corpus")
        text = await self.rag.corpus.text_of(doc_id) or ""
        return {**document_dict(record), "text": text, "snapshot": await self._snapshot(record)}

    async def _snapshot(self, record: DocumentRecord) -> dict[str, Any] | None:
        if record.snapshot_id is None:
            return None
        stored = await asyncio.to_thread(self.snapshots.get, record.snapshot_id)
        if stored is None:
            missing = ["snapshot record is missing"]
            return {"id": record.snapshot_id, "found": False, "signed": False, "verified": False,
                    "key_id": None, "altered": [], "problems": missing}  # fmt: skip
        signed = stored.record.get("signature") is not None
        trusted = None
        if signed:
            trusted = (await asyncio.to_thread(self.signing_key.get)).public_key()
        verdict = verify_snapshot(stored.record, trusted)
        return {
            "id": stored.id,
            "found": True,
            "signed": signed,
            "verified": verdict.ok,
            "key_id": verdict.key_id,
            "altered": list(verdict.altered),
            "problems": list(verdict.problems),
        }

    # --- the schedule -------------------------------------------------------------------
    async def refresh_due(self) -> list[IngestReport]:
        """Ingest every source whose schedule is due (one at a time; never one twice)."""
        reports: list[IngestReport] = []
        for fresh in await self.sources():
            if not fresh.due or fresh.name in self._running:
                continue
            self._running.add(fresh.name)
            self._attempted[fresh.name] = self.clock.now()
            try:
                reports.append(await self.ingest_source(fresh.name, trigger="schedule"))
            except Exception:
                log.exception("scheduled refresh of web source %s failed", fresh.name)
            finally:
                self._running.discard(fresh.name)
        return reports

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: refresh due sources and record freshness every check interval."""
        while not stop.is_set():
            try:
                await self.refresh_due()
                await self.freshness(publish=False)
            except Exception:
                log.exception("web refresh check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.check_interval_s)


def _due(source: WebSource, age: float | None, since_attempt: float | None) -> bool:
    """Due when the newest document is older than `refresh` (or there is none), and the
    last scheduled attempt is not recent: a source whose fetches keep failing is retried
    every min(refresh, RETRY_S), not on every check."""
    if source.refresh_s is None:
        return False
    if since_attempt is not None and since_attempt < min(source.refresh_s, RETRY_S):
        return False
    return age is None or age >= source.refresh_s
