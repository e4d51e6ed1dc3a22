"""Build the web ingest + RAG services from settings (the CLI uses it; so can `Services`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from symphony.clock import Clock
from symphony.ingest.addresses import Resolver, SsrfGuard, SystemResolver
from symphony.ingest.browser import BrowserFetcher
from symphony.ingest.config import WebSettings, announce
from symphony.ingest.http import HttpFetcher
from symphony.ingest.keys import SigningKey, default_key_path
from symphony.ingest.ratelimit import DomainRateLimiter
from symphony.ingest.robots import RobotsCache
from symphony.ingest.service import GovernanceSource, IngestService
from symphony.ingest.store import SnapshotStore
from symphony.rag.config import RagSettings
from symphony.rag.corpus import Corpus
from symphony.rag.indexer import Indexer
from symphony.rag.service import RagService
from symphony.store.sqlite import Durability


@dataclass
class WebStack:
    """The ingest and RAG services and what they own; `aclose` releases all of it."""

    ingest: IngestService
    rag: RagService
    corpus: Corpus
    snapshots: SnapshotStore
    signing_key: SigningKey

    async def aclose(self) -> None:
        await self.ingest.close()
        self.corpus.close()
        self.snapshots.close()


def key_path(data_dir: Path, web: WebSettings) -> Path:
    """The snapshot signing key file: the setting, else <data_dir>/ingest/snapshot_ed25519.pem."""
    return web.snapshot_key_file or default_key_path(data_dir)


def open_web_stack(
    *,
    data_dir: Path,
    web: WebSettings,
    rag: RagSettings,
    governance: GovernanceSource,
    clock: Clock,
    resolver: Resolver | None = None,
    limiter: DomainRateLimiter | None = None,
    durability: Durability = "process",
) -> WebStack:
    """Open the stores under `data_dir` and wire every ingest collaborator."""
    announce(web)
    guard = SsrfGuard(
        resolver or SystemResolver(),
        allow_private=web.allow_private,
        allow_private_targets=web.allow_private_targets,
    )
    http = HttpFetcher(
        guard,
        user_agent=web.user_agent,
        max_bytes=web.max_bytes,
        max_redirects=web.max_redirects,
    )
    corpus = Corpus.open(data_dir, durability)
    snapshots = SnapshotStore.open(data_dir, durability)
    signing_key = SigningKey(key_path(data_dir, web))
    ingest = IngestService(
        settings=web,
        governance=governance,
        guard=guard,
        http=http,
        browser=BrowserFetcher(
            http,
            executable=web.browser_path,
            user_agent=web.user_agent,
            max_redirects=web.max_redirects,
        ),
        robots=RobotsCache(http, clock, token=web.robots_token, ttl_s=web.robots_ttl_s),
        limiter=limiter or DomainRateLimiter(),
        indexer=Indexer(corpus, clock, rag),
        snapshots=snapshots,
        signing_key=signing_key,
        clock=clock,
    )
    return WebStack(
        ingest=ingest,
        rag=RagService(corpus, ingest, clock, rag),
        corpus=corpus,
        snapshots=snapshots,
        signing_key=signing_key,
    )
