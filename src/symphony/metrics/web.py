"""Web ingest and retrieval metrics: URLs by outcome, and staleness computed at scrape time.

The staleness gauges are read when Prometheus scrapes: the web flow records the newest
fetch time of each policy source and the corpus's last index time (`observe_*`), and the
collector reports `now - that`, so a gauge is never older than the scrape.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

INGEST_OUTCOMES = ("ingested", "duplicate", "refused", "failed")
INGEST_TRIGGERS = ("api", "schedule", "reindex", "execute")


class WebMetrics(Collector):
    """symphony_ingest_urls_total, symphony_ingest_seconds, (symphony_)rag_index_staleness_
    seconds, symphony_web_source_staleness_seconds."""

    def __init__(self, registry: CollectorRegistry, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self.urls = Counter(
            "symphony_ingest_urls_total",
            "URLs an ingest handled, by outcome (ingested|duplicate|refused|failed) and "
            "trigger (api|schedule|reindex|execute)",
            ["outcome", "trigger"],
            registry=registry,
        )
        self.seconds = Histogram(
            "symphony_ingest_seconds",
            "Duration of one ingest call, by trigger",
            ["trigger"],
            buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
            registry=registry,
        )
        for outcome in INGEST_OUTCOMES:
            for trigger in INGEST_TRIGGERS:
                self.urls.labels(outcome, trigger)
        self.corpus: tuple[str, float | None] | None = None  # (name, last indexed unix time)
        self.sources: dict[str, float | None] = {}  # policy source -> newest fetch unix time
        registry.register(self)

    def observe_corpus(self, name: str, last_indexed: float | None) -> None:
        self.corpus = (name, last_indexed)

    def observe_sources(self, newest: dict[str, float | None]) -> None:
        """The policy's sources now (a source removed from the policy leaves the gauge)."""
        self.sources = dict(newest)

    def describe(self) -> Iterable[Metric]:
        return list(self._families(0.0))

    def collect(self) -> Iterable[Metric]:
        return list(self._families(self._now()))

    def _families(self, now: float) -> Iterator[Metric]:
        # The seed's name (label `corpus`) and the Symphony-prefixed one the ops dashboard
        # reads (label `index`): the same value.
        seed = GaugeMetricFamily(
            "rag_index_staleness_seconds",
            "Seconds since the retrieval corpus was last indexed (absent until it has been)",
            labels=["corpus"],
        )
        ours = GaugeMetricFamily(
            "symphony_rag_index_staleness_seconds",
            "Seconds since the retrieval index was last indexed (absent until it has been)",
            labels=["index"],
        )
        if self.corpus is not None and self.corpus[1] is not None:
            age = max(0.0, now - self.corpus[1])
            seed.add_metric([self.corpus[0]], age)
            ours.add_metric([self.corpus[0]], age)
        yield seed
        yield ours
        sources = GaugeMetricFamily(
            "symphony_web_source_staleness_seconds",
            "Seconds since the newest document of each policy web source was fetched "
            "(absent for a source with no document yet)",
            labels=["source"],
        )
        for name, newest in sorted(self.sources.items()):
            if newest is not None:
                sources.add_metric([name], max(0.0, now - newest))
        yield sources
