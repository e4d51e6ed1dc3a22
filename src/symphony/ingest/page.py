"""A fetched page, whichever fetcher (plain HTTP or Chromium) produced it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    html: str
    content_type: str
    elapsed_s: float
    screenshot: bytes | None = None
    blocked: tuple[tuple[str, str], ...] = field(default=())  # sub-requests refused: (url, reason)
