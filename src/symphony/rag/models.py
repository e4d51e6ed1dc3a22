"""Records of the corpus and answers of the RAG service."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

OutcomeName = Literal["ingested", "duplicate", "refused", "failed"]


def iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 with Z, or None."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A freshly fetched and extracted page, ready to be stored and chunked."""

    url: str
    final_url: str
    title: str
    text: str
    content_sha256: str
    simhash: str
    fetched_at: datetime
    fetch_seconds: float
    strategy: str
    snapshot_id: str | None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A stored document (its text is read separately when needed)."""

    id: str
    url: str
    final_url: str
    title: str
    content_sha256: str
    simhash: str
    fetched_at: datetime
    indexed_at: datetime
    fetch_seconds: float
    strategy: str
    tokens: int
    chars: int
    snapshot_id: str | None


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a passage came from: what a model's answer cites."""

    title: str
    url: str
    hash: str
    fetched_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "title": self.title,
            "url": self.url,
            "hash": self.hash,
            "fetched_at": iso(self.fetched_at) or "",
        }


@dataclass(frozen=True, slots=True)
class Passage:
    """One ranked chunk; `score` is -bm25 (higher is better)."""

    text: str
    score: float
    document_id: str
    chunk_seq: int
    tokens: int
    citation: Citation

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "score": round(self.score, 6),
            "document_id": self.document_id,
            "chunk": self.chunk_seq,
            "citation": self.citation.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class CorpusStats:
    documents: int
    chunks: int
    tokens: int
    last_indexed_at: datetime | None
    oldest_fetched_at: datetime | None


@dataclass(frozen=True, slots=True)
class RagStatus:
    """Freshness of the index, as /rag/status reports it."""

    corpus: str
    documents: int
    chunks: int
    tokens: int
    last_indexed_at: datetime | None
    staleness_seconds: float | None  # now - last_indexed_at; None for an empty corpus
    stale: bool  # staleness above stale_after_s
    stale_after_s: int
    stale_documents: int  # documents fetched more than stale_after_s ago
    oldest_fetched_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["last_indexed_at"] = iso(self.last_indexed_at)
        out["oldest_fetched_at"] = iso(self.oldest_fetched_at)
        return out


@dataclass(frozen=True, slots=True)
class ReindexEstimate:
    """What a reindex would do, computed from the stored corpus (nothing is fetched)."""

    documents: int
    tokens: int
    seconds: float
    stale_after_s: int
    hosts: int

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3)}


@dataclass(frozen=True, slots=True)
class ReindexProgress:
    """One document of a reindex done."""

    done: int
    total: int
    url: str
    outcome: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReindexSummary:
    documents: int  # stale documents considered
    ingested: int  # re-fetched and changed (re-chunked)
    unchanged: int  # re-fetched, same content (fetch time refreshed)
    refused: int
    failed: int
    seconds: float
    last_indexed_at: datetime
    items: tuple[dict[str, str | None], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["last_indexed_at"] = iso(self.last_indexed_at)
        out["seconds"] = round(self.seconds, 3)
        out["items"] = list(self.items)
        return out
