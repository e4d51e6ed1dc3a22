"""Web ingest and retrieval: POST /ingest, /rag/status|query|search|reindex|documents."""

from __future__ import annotations

from typing import Any, Literal

from symphony.api.contracts.base import Instant, Wire, absent

OutcomeName = Literal["ingested", "duplicate", "refused", "failed"]


class IngestItem(Wire):
    """One URL's outcome and why (`reason` is a closed set, `detail` a sentence)."""

    url: str
    outcome: OutcomeName
    reason: str | None
    detail: str
    depth: int
    document_id: str | None
    title: str | None
    sha256: str | None
    fetched_at: Instant | None
    final_url: str | None
    snapshot_id: str | None
    chunks: int


class IngestSummary(Wire):
    ingested: int
    duplicate: int
    refused: int
    failed: int


class IngestResult(Wire):
    """What one ingest did, URL by URL."""

    ingest_id: str
    trigger: Literal["api", "schedule", "reindex", "execute"]
    source: str | None
    strategy: str
    seconds: float
    summary: IngestSummary
    items: list[IngestItem]


class SourceState(Wire):
    """A policy web source: its newest document, age against its limit, refresh schedule."""

    name: str
    urls: list[str]
    newest_fetched_at: Instant | None
    age_s: float | None
    max_age_s: float
    refresh_s: float | None
    stale: bool
    due: bool


class RagStatusBody(Wire):
    """The corpus: size, last index, staleness against the limit, and every policy source."""

    corpus: str
    documents: int
    chunks: int
    tokens: int
    last_indexed_at: Instant | None
    staleness_seconds: float | None
    stale: bool
    warn: bool
    stale_after_s: int
    stale_documents: int
    oldest_fetched_at: Instant | None
    sources: list[SourceState]


class CitationBody(Wire):
    title: str
    url: str
    hash: str
    fetched_at: Instant


class PassageBody(Wire):
    text: str
    score: float
    document_id: str
    chunk: int
    citation: CitationBody


class RagQueryResult(Wire):
    """Ranked passages (bm25, higher is better), each with its citation."""

    query: str
    k: int
    passages: list[PassageBody]


class ReindexEstimateBody(Wire):
    """What a reindex would do, from the stored corpus (nothing fetched)."""

    documents: int
    tokens: int
    seconds: float
    stale_after_s: int
    hosts: int


class ReindexItem(Wire):
    url: str
    outcome: str
    reason: str | None


class ReindexSummaryBody(Wire):
    """What the reindex did."""

    documents: int
    ingested: int
    unchanged: int
    refused: int
    failed: int
    seconds: float
    last_indexed_at: Instant
    items: list[ReindexItem]


class DocumentBody(Wire):
    id: str
    url: str
    final_url: str
    title: str
    sha256: str
    fetched_at: Instant
    indexed_at: Instant
    strategy: str
    tokens: int
    chars: int
    snapshot_id: str | None


class DocumentPage(Wire):
    documents: list[DocumentBody]
    total: int
    limit: int
    offset: int


class SnapshotCheck(Wire):
    """The document's signed snapshot, verified now against the server's signing key."""

    id: str
    found: bool
    signed: bool
    verified: bool
    key_id: str | None
    altered: list[str]
    problems: list[str]


class DocumentDetail(DocumentBody):
    text: str
    snapshot: SnapshotCheck | None


EXAMPLE_ITEM: dict[str, Any] = {
    "url": "https://docs.example.com/limits", "outcome": "ingested", "reason": None,
    "detail": "4 chunk(s) indexed", "depth": 0, "document_id": "doc_3f2a9c0d1e4b5a69",
    "title": "Rate limits", "sha256": "9b1c…", "fetched_at": "2026-12-01T12:00:00Z",
    "final_url": "https://docs.example.com/limits", "snapshot_id": "snap_0a1b2c3d4e5f6a7b8c9d",
    "chunks": 4,
}  # fmt: skip


class ReindexBody(Wire):
    """POST /rag/reindex: the estimate (dry_run) or the summary of what was re-fetched."""

    dry_run: bool
    estimate: ReindexEstimateBody | None = absent("with dry_run=1")
    summary: ReindexSummaryBody | None = absent("without dry_run")
