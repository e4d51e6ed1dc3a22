"""What happened to each URL of an ingest call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symphony.ingest.reasons import Reason, WebError
from symphony.rag.models import OutcomeName, iso


@dataclass(frozen=True, slots=True)
class Outcome:
    """`ingested | duplicate | refused | failed`, with the named reason and a sentence."""

    url: str
    outcome: OutcomeName
    reason: str | None
    detail: str
    depth: int = 0
    document_id: str | None = None
    title: str | None = None
    sha256: str | None = None  # sha256 of the extracted text (what citations carry)
    fetched_at: datetime | None = None
    final_url: str | None = None
    snapshot_id: str | None = None
    chunks: int = 0
    fetch_seconds: float | None = None

    @classmethod
    def from_error(cls, url: str, error: WebError, depth: int = 0) -> Outcome:
        return cls(
            url=url,
            outcome="refused" if error.refused else "failed",
            reason=error.reason.value,
            detail=error.message,
            depth=depth,
        )

    @classmethod
    def refused(cls, url: str, reason: Reason, detail: str, depth: int = 0) -> Outcome:
        return cls(url=url, outcome="refused", reason=reason.value, detail=detail, depth=depth)

    def to_dict(self) -> dict[str, Any]:
        """The API shape: url, outcome, reason, plus what was stored."""
        return {
            "url": self.url,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
            "depth": self.depth,
            "document_id": self.document_id,
            "title": self.title,
            "sha256": self.sha256,
            "fetched_at": iso(self.fetched_at),
            "final_url": self.final_url,
            "snapshot_id": self.snapshot_id,
            "chunks": self.chunks,
        }
