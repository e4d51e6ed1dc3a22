"""The RAG service: query the corpus, report its freshness, estimate and run a reindex.

Re-fetching belongs to ingest (robots.txt, SSRF guard, governance); this service reaches
it through the small `Refetcher` protocol so rag never imports ingest.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlsplit

from symphony.clock import Clock, parse_instant
from symphony.rag.config import RagSettings
from symphony.rag.corpus import Corpus
from symphony.rag.models import (
    Citation,
    DocumentRecord,
    Passage,
    RagStatus,
    ReindexEstimate,
    ReindexProgress,
    ReindexSummary,
)

_TERM = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 32
MAX_K = 100


class RefetchReport(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


class Refetcher(Protocol):
    """Fetches one stored document again under every ingest rule (ingest implements it)."""

    async def refetch(self, url: str, strategy: str) -> RefetchReport: ...

    def pacing_s(self, url: str) -> float:
        """Seconds the ingest rate limits put between two fetches to `url`'s host."""
        ...


ProgressCallback = Callable[[ReindexProgress], None]


def fts_match(query: str) -> str | None:
    """An FTS5 expression OR-ing the query's words, each quoted (no FTS syntax gets through)."""
    terms: dict[str, None] = {}
    for term in _TERM.findall(query.lower()):
        terms.setdefault(term, None)
        if len(terms) >= MAX_QUERY_TERMS:
            break
    return " OR ".join(f'"{t}"' for t in terms) or None


class RagService:
    """Query, status and reindex over one corpus."""

    def __init__(
        self, corpus: Corpus, refetcher: Refetcher, clock: Clock, settings: RagSettings
    ) -> None:
        self.corpus = corpus
        self._refetcher = refetcher
        self._clock = clock
        self.settings = settings

    async def query(self, q: str, k: int | None = None) -> list[Passage]:
        """The `k` best passages for `q` by bm25, each with its citation."""
        count = max(1, min(k or self.settings.default_k, MAX_K))
        match = fts_match(q)
        if match is None:
            return []
        rows = await self.corpus.search(match, count)
        return [
            Passage(
                text=text,
                score=-float(rank),
                document_id=doc_id,
                chunk_seq=int(seq),
                tokens=int(tokens),
                citation=Citation(title, url, sha, parse_instant(fetched)),
            )
            for rank, doc_id, seq, text, tokens, title, url, sha, fetched in rows
        ]

    async def status(self) -> RagStatus:
        """Documents, chunks, last indexed, staleness and whether it exceeds the limit."""
        now = self._clock.now()
        stats = await self.corpus.stats()
        limit = self.settings.stale_after_s
        staleness = (
            None
            if stats.last_indexed_at is None
            else max(0.0, (now - stats.last_indexed_at).total_seconds())
        )
        stale_docs = await self.corpus.count_fetched_before(now - timedelta(seconds=limit))
        return RagStatus(
            corpus=self.settings.corpus,
            documents=stats.documents,
            chunks=stats.chunks,
            tokens=stats.tokens,
            last_indexed_at=stats.last_indexed_at,
            staleness_seconds=staleness,
            stale=staleness is not None and staleness > limit,
            stale_after_s=limit,
            stale_documents=stale_docs,
            oldest_fetched_at=stats.oldest_fetched_at,
        )

    async def estimate_reindex(self) -> ReindexEstimate:
        """Documents, tokens and seconds a reindex would take, from the stored corpus.

        seconds = the measured fetch time of each stale document, plus, per host, the pacing
        the rate limits add between consecutive fetches beyond that fetch time.
        """
        cutoff = self._clock.now() - timedelta(seconds=self.settings.stale_after_s)
        stale = await self.corpus.fetched_before(cutoff)
        by_host: dict[str, list[DocumentRecord]] = defaultdict(list)
        for doc in stale:
            by_host[urlsplit(doc.url).netloc].append(doc)
        seconds = 0.0
        for host_docs in by_host.values():
            fetch_total = sum(d.fetch_seconds for d in host_docs)
            pacing = self._refetcher.pacing_s(host_docs[0].url)
            average = fetch_total / len(host_docs)
            seconds += fetch_total + (len(host_docs) - 1) * max(0.0, pacing - average)
        return ReindexEstimate(
            documents=len(stale),
            tokens=sum(doc.tokens for doc in stale),
            seconds=seconds,
            stale_after_s=self.settings.stale_after_s,
            hosts=len(by_host),
        )

    async def reindex(self, progress: ProgressCallback | None = None) -> ReindexSummary:
        """Re-fetch every stale document (each through every ingest rule) and re-index it."""
        started = time.perf_counter()
        cutoff = self._clock.now() - timedelta(seconds=self.settings.stale_after_s)
        stale = await self.corpus.fetched_before(cutoff)
        counts: dict[str, int] = defaultdict(int)
        items: list[dict[str, str | None]] = []
        for done, doc in enumerate(stale, start=1):
            report = await self._refetcher.refetch(doc.url, doc.strategy)
            outcome = report.outcome
            if outcome == "duplicate" and report.reason == "unchanged":
                outcome = "unchanged"
            counts[outcome] += 1
            items.append({"url": report.url, "outcome": report.outcome, "reason": report.reason})
            if progress is not None:
                progress(ReindexProgress(done, len(stale), doc.url, report.outcome, report.reason))
        now = self._clock.now()
        await self.corpus.mark_indexed(now)
        return ReindexSummary(
            documents=len(stale),
            ingested=counts["ingested"],
            unchanged=counts["unchanged"] + counts["duplicate"],
            refused=counts["refused"],
            failed=counts["failed"],
            seconds=time.perf_counter() - started,
            last_indexed_at=now,
            items=tuple(items),
        )
