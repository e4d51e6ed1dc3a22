"""What the web flow reports: an ingest call, a source's freshness, a corpus document."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symphony.ingest.outcome import Outcome
from symphony.rag.models import DocumentRecord, iso


@dataclass(frozen=True, slots=True)
class IngestReport:
    """One ingest call: its id, what triggered it, and each URL's outcome."""

    ingest_id: str
    trigger: str
    source: str | None
    strategy: str
    items: tuple[Outcome, ...]
    seconds: float

    def counts(self) -> Counter[str]:
        return Counter(o.outcome for o in self.items)

    @property
    def stored(self) -> bool:
        """Whether at least one URL is in the corpus (ingested or already there)."""
        counts = self.counts()
        return counts["ingested"] + counts["duplicate"] > 0

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "ingest_id": self.ingest_id,
            "trigger": self.trigger,
            "source": self.source,
            "strategy": self.strategy,
            "seconds": round(self.seconds, 3),
            "summary": {k: counts[k] for k in ("ingested", "duplicate", "refused", "failed")},
            "items": [o.to_dict() for o in self.items],
        }


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    """A policy source: its newest document, age, limit and whether a refresh is due."""

    name: str
    urls: tuple[str, ...]
    newest_fetched_at: datetime | None
    age_s: float | None
    max_age_s: float
    refresh_s: float | None
    stale: bool  # no document yet, or the newest is older than max_age_s
    due: bool  # the schedule asks for a refresh now

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "urls": list(self.urls),
            "newest_fetched_at": iso(self.newest_fetched_at),
            "age_s": None if self.age_s is None else round(self.age_s, 3),
            "max_age_s": self.max_age_s,
            "refresh_s": self.refresh_s,
            "stale": self.stale,
            "due": self.due,
        }


def document_dict(record: DocumentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": record.url,
        "final_url": record.final_url,
        "title": record.title,
        "sha256": record.content_sha256,
        "fetched_at": iso(record.fetched_at),
        "indexed_at": iso(record.indexed_at),
        "strategy": record.strategy,
        "tokens": record.tokens,
        "chars": record.chars,
        "snapshot_id": record.snapshot_id,
    }
