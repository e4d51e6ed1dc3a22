"""A corpus of topic documents big enough for bm25 to be meaningful, stored for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from symphony.clock import FixedClock
from symphony.rag.config import RagSettings
from symphony.rag.corpus import Corpus
from symphony.rag.indexer import Indexer
from symphony.rag.models import NewDocument
from symphony.rag.service import RagService

TOPICS: dict[str, list[str]] = {
    "gemini": [
        "The Gemini API free tier resets its daily request quota at midnight Pacific time.",
        "Requests per day and tokens per minute are enforced separately for each Gemini model.",
        "When the daily quota is exhausted Gemini answers with status 429 RESOURCE_EXHAUSTED.",
    ],
    "claude": [
        "Claude subscriptions meter usage in rolling five hour sessions that start with a message.",
        "Once the session allowance is spent, Claude asks you to wait until the window reopens.",
        "Weekly caps apply on top of the five hour session windows for heavy Claude users.",
    ],
    "chatgpt": [
        "ChatGPT Plus limits message counts over a rolling three hour window for some models.",
        "The rolling window means older messages age out one by one instead of resetting at once.",
        "Model pickers in ChatGPT show when a cap is reached and suggest a smaller model.",
    ],
    "ollama": [
        "Ollama serves local models over HTTP on port 11434 with no usage quota at all.",
        "Quantized GGUF weights let Ollama run eight billion parameter models on a laptop GPU.",
        "Ollama keeps a model loaded in memory for five minutes after the last request by default.",
    ],
    "prometheus": [
        "Prometheus scrapes metrics endpoints on an interval and stores samples in its TSDB.",
        "Alerting rules evaluate PromQL expressions and fire alerts to Alertmanager.",
        "Histogram buckets let Prometheus compute latency quantiles such as p95 with PromQL.",
    ],
}
FILLER = [
    "This page is part of the operator documentation and was reviewed by the platform team.",
    "Contact the platform team if anything here looks out of date or unclear to you.",
    "Examples below use the default configuration shipped with the service.",
    "The service logs every decision so that operators can explain what happened later.",
]


@dataclass
class CorpusHarness:
    rag: RagService
    indexer: Indexer
    corpus: Corpus
    clock: FixedClock
    refetcher: FakeRefetcher
    urls: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    url: str
    outcome: str
    reason: str | None


class FakeRefetcher:
    """Stands in for ingest in pure RAG tests: records calls, answers from a table."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.answers: dict[str, tuple[str, str | None]] = {}
        self.pacing = 0.0

    async def refetch(self, url: str, strategy: str) -> Report:
        self.calls.append((url, strategy))
        outcome, reason = self.answers.get(url, ("duplicate", "unchanged"))
        return Report(url, outcome, reason)

    def pacing_s(self, url: str) -> float:
        return self.pacing


def topic_text(topic: str, variant: int) -> str:
    sentences = TOPICS[topic]
    body = [sentences[(variant + i) % len(sentences)] for i in range(len(sentences))]
    return " ".join(body + FILLER[variant % 2 :] + body[:1])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
async def corpus_harness(tmp_path: Path, clock: FixedClock) -> AsyncIterator[CorpusHarness]:
    corpus = Corpus.open(tmp_path / "data")
    settings = RagSettings(chunk_tokens=80, chunk_overlap_tokens=15, stale_after_s=3600)
    indexer = Indexer(corpus, clock, settings)
    refetcher = FakeRefetcher()
    harness = CorpusHarness(
        RagService(corpus, refetcher, clock, settings), indexer, corpus, clock, refetcher
    )
    yield harness
    corpus.close()


async def fill(h: CorpusHarness, *, variants: int = 8, fetch_seconds: float = 0.5) -> None:
    """Index `variants` documents per topic (40 with the default topics)."""
    for topic in TOPICS:
        for variant in range(variants):
            url = f"https://{topic}.example/doc/{variant}"
            text = topic_text(topic, variant)
            await h.indexer.index(
                NewDocument(
                    url=url,
                    final_url=url,
                    title=f"{topic.title()} notes {variant}",
                    text=text,
                    content_sha256=f"{hash((topic, variant)) & (2**64 - 1):064x}",
                    simhash="0" * 16,
                    fetched_at=h.clock.now() - timedelta(seconds=variant * 600),
                    fetch_seconds=fetch_seconds,
                    strategy="scrape",
                    snapshot_id=None,
                )
            )
            h.urls[f"{topic}/{variant}"] = url
