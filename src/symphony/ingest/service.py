"""The ingest service: fetch URLs into the corpus under every rule, one outcome per URL.

For each URL, in this order: a valid http(s) URL; the terms-of-service deny list, the
domain blocklist and allowlist (governance); the SSRF guard (private addresses); robots.txt;
the per-domain pace; then the fetch (Chromium for `visit`, plain HTTP for `scrape`), each
redirect hop admitted by the same chain. The page is extracted, compared with the corpus
(same URL unchanged, exact duplicate of another URL, near duplicate by Simhash), snapshotted
(signed) and indexed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urldefrag

from symphony.clock import Clock
from symphony.errors import ValidationFailed
from symphony.ingest.addresses import SsrfGuard, parse_target
from symphony.ingest.browser import BrowserFetcher
from symphony.ingest.config import WebSettings
from symphony.ingest.governance import admit as admit_rules
from symphony.ingest.http import HttpFetcher
from symphony.ingest.keys import SigningKey
from symphony.ingest.outcome import Outcome
from symphony.ingest.page import FetchedPage
from symphony.ingest.ratelimit import DomainRateLimiter, interval_for
from symphony.ingest.reasons import FetchFailed, Reason, WebError
from symphony.ingest.robots import RobotsCache
from symphony.ingest.snapshot import build_snapshot
from symphony.ingest.store import SnapshotStore
from symphony.policy.web import WebPolicy
from symphony.rag.corpus import Corpus
from symphony.rag.indexer import Indexer
from symphony.rag.models import DocumentRecord, NewDocument

if TYPE_CHECKING:
    from symphony.ingest.extract import Extracted

log = logging.getLogger(__name__)

Strategy = Literal["visit", "scrape"]
STRATEGIES: tuple[Strategy, ...] = ("visit", "scrape")
GovernanceSource = Callable[[], WebPolicy]
OutcomeCallback = Callable[[Outcome], None]
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


class IngestService:
    """Fetch, extract, dedupe, snapshot and index web pages."""

    def __init__(
        self,
        *,
        settings: WebSettings,
        governance: GovernanceSource,
        guard: SsrfGuard,
        http: HttpFetcher,
        browser: BrowserFetcher,
        robots: RobotsCache,
        limiter: DomainRateLimiter,
        indexer: Indexer,
        snapshots: SnapshotStore,
        signing_key: SigningKey,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self._governance = governance
        self._guard = guard
        self._http = http
        self._browser = browser
        self._robots = robots
        self._limiter = limiter
        self._indexer = indexer
        self._corpus: Corpus = indexer.corpus
        self._snapshots = snapshots
        self._key = signing_key
        self._clock = clock
        # Dedupe-then-store must not interleave, or two copies fetched at once both "win".
        self._store_lock = asyncio.Lock()

    async def ingest(
        self,
        urls: Sequence[str],
        strategy: Strategy = "visit",
        *,
        progress: OutcomeCallback | None = None,
    ) -> list[Outcome]:
        """Fetch `urls` (and same-site links up to the policy depth); one outcome per URL."""
        if strategy not in STRATEGIES:
            raise ValidationFailed(
                f"strategy: expected visit or scrape, got {strategy!r}",
                detail={"field": "strategy"},
            )
        gov = self._governance()
        outcomes: list[Outcome] = []
        seen: set[str] = set()
        level: list[str] = []
        for url in urls:
            clean = urldefrag(url.strip())[0]
            if clean not in seen:
                seen.add(clean)
                level.append(clean)
        budget = [gov.max_documents]
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(url: str, depth: int) -> tuple[Outcome, list[str]]:
            async with gate:
                result = await self._one(url, depth, strategy, gov, budget=budget)
            log.info("ingest %s: %s %s", url, result[0].outcome, result[0].reason or "")
            if progress is not None:
                progress(result[0])
            return result

        for depth in range(gov.max_depth + 1):
            if not level:
                break
            results = await asyncio.gather(*(one(url, depth) for url in level))
            level = []
            for outcome, links in results:
                outcomes.append(outcome)
                for link in links if depth < gov.max_depth else ():
                    if link not in seen:
                        seen.add(link)
                        level.append(link)
        return outcomes

    async def refetch(self, url: str, strategy: str) -> Outcome:
        """Fetch a stored document again (no cache, no document cap), under every rule."""
        chosen: Strategy = "scrape" if strategy == "scrape" else "visit"
        outcome, _links = await self._one(url, 0, chosen, self._governance(), budget=None)
        return outcome

    def pacing_s(self, url: str) -> float:
        """Seconds between two fetches to `url`'s host under policy and cached robots.txt."""
        gov = self._governance()
        try:
            _parts, host, port = parse_target(url)
        except WebError:
            return 0.0
        return interval_for(gov.rps_for(host, port), self._robots.cached_delay(url))

    async def close(self) -> None:
        """Stop Chromium (the stores are closed by whoever opened them)."""
        await self._browser.close()

    async def admit(self, url: str, gov: WebPolicy) -> None:
        """Raise Refused/FetchFailed unless every rule lets `url` be fetched now; then pace."""
        _parts, host, port = parse_target(url)
        admit_rules(gov, url, host, port)
        await self._guard.check(url)
        delay = await self._robots.check(url)
        await self._limiter.acquire(f"{host}:{port}", interval_for(gov.rps_for(host, port), delay))

    async def _one(
        self,
        url: str,
        depth: int,
        strategy: Strategy,
        gov: WebPolicy,
        *,
        budget: list[int] | None,
    ) -> tuple[Outcome, list[str]]:
        try:
            existing = await self._corpus.by_url(url)
            now = self._clock.now()
            if (
                budget is not None
                and existing is not None
                and now - existing.fetched_at < timedelta(seconds=gov.cache_ttl_s)
            ):
                return self._cached(url, depth, existing), []
            await self.admit(url, gov)
            if budget is not None:  # counts fetches; refusals above cost nothing
                if budget[0] <= 0:
                    return Outcome.refused(
                        url,
                        Reason.MAX_DOCUMENTS,
                        f"the policy allows {gov.max_documents} fetched documents per ingest",
                        depth,
                    ), []
                budget[0] -= 1
            page = await self._fetch(url, strategy, gov)
            # The parser (trafilatura, lxml) loads at the first ingest, not at startup.
            from symphony.ingest.extract import extract

            extracted = await asyncio.to_thread(extract, page.html, page.final_url)
            if extracted is None:
                raise FetchFailed(Reason.NO_CONTENT, "no main text found on the page", url=url)
            async with self._store_lock:
                outcome = await self._store(url, depth, strategy, gov, page, extracted)
        except WebError as exc:
            return Outcome.from_error(url, exc, depth), []
        links: list[str] = []
        if outcome.outcome == "ingested" and depth < gov.max_depth:
            from symphony.ingest.extract import same_site_links

            links = _same_origin(page.final_url, same_site_links(page.html, page.final_url))
        return outcome, links

    def _cached(self, url: str, depth: int, existing: DocumentRecord) -> Outcome:
        return Outcome(
            url=url,
            outcome="duplicate",
            reason=Reason.CACHED.value,
            detail=f"fetched {existing.fetched_at.isoformat()}, within the cache TTL",
            depth=depth,
            document_id=existing.id,
            title=existing.title,
            sha256=existing.content_sha256,
            fetched_at=existing.fetched_at,
            final_url=existing.final_url,
            snapshot_id=existing.snapshot_id,
        )

    async def _fetch(self, url: str, strategy: Strategy, gov: WebPolicy) -> FetchedPage:
        async def admit(hop: str) -> None:
            await self.admit(hop, gov)

        if strategy == "visit":
            page = await self._browser.fetch(
                url, timeout_s=gov.timeout_s, admit=admit, screenshot=gov.screenshots
            )
        else:
            response = await self._http.fetch(url, timeout_s=gov.timeout_s, admit=admit)
            page = FetchedPage(
                url=url,
                final_url=response.url,
                status=response.status,
                html=response.text(),
                content_type=response.content_type,
                elapsed_s=response.elapsed_s,
            )
        if page.status >= 400:
            raise FetchFailed(
                Reason.HTTP_STATUS, f"{page.final_url} answered HTTP {page.status}", url=url
            )
        if page.content_type not in HTML_TYPES:
            raise FetchFailed(
                Reason.NOT_HTML, f"{page.final_url} is {page.content_type}, not HTML", url=url
            )
        return page

    async def _store(
        self,
        url: str,
        depth: int,
        strategy: Strategy,
        gov: WebPolicy,
        page: FetchedPage,
        extracted: Extracted,
    ) -> Outcome:
        fetched_at = self._clock.now()
        base = Outcome(
            url=url,
            outcome="duplicate",
            reason=None,
            detail="",
            depth=depth,
            title=extracted.title,
            sha256=extracted.content_sha256,
            fetched_at=fetched_at,
            final_url=page.final_url,
            fetch_seconds=page.elapsed_s,
        )
        existing = await self._corpus.by_url(url)
        if existing is not None and existing.content_sha256 == extracted.content_sha256:
            snapshot_id = await self._snapshot(url, page, fetched_at, extracted, gov)
            await self._corpus.touch(
                existing.id, fetched_at=fetched_at, fetch_seconds=page.elapsed_s,
                snapshot_id=snapshot_id,
            )  # fmt: skip
            return _with(
                base,
                reason=Reason.UNCHANGED.value,
                document_id=existing.id,
                snapshot_id=snapshot_id,
                detail=f"same text as when fetched {existing.fetched_at.isoformat()}",
            )
        same = await self._corpus.same_content(extracted.content_sha256, except_url=url)
        if same is not None:
            return _with(base, reason=Reason.EXACT_DUPLICATE.value, document_id=same.id,
                         detail=f"same text as {same.url}")  # fmt: skip
        near = await self._corpus.nearest(extracted.simhash, except_url=url)
        if near is not None and near[1] >= gov.near_duplicate_similarity:
            return _with(base, reason=Reason.NEAR_DUPLICATE.value, document_id=near[0].id,
                         detail=f"{near[1]:.2f} Simhash similarity to {near[0].url} "
                                f"(threshold {gov.near_duplicate_similarity:g})")  # fmt: skip
        snapshot_id = await self._snapshot(url, page, fetched_at, extracted, gov)
        doc_id, chunks = await self._indexer.index(
            NewDocument(
                url=url,
                final_url=page.final_url,
                title=extracted.title,
                text=extracted.text,
                content_sha256=extracted.content_sha256,
                simhash=extracted.simhash,
                fetched_at=fetched_at,
                fetch_seconds=page.elapsed_s,
                strategy=strategy,
                snapshot_id=snapshot_id,
            )
        )
        blocked = f"; {len(page.blocked)} sub-request(s) refused" if page.blocked else ""
        return _with(base, outcome="ingested", document_id=doc_id, snapshot_id=snapshot_id,
                     chunks=chunks, detail=f"{chunks} chunk(s) indexed{blocked}")  # fmt: skip

    async def _snapshot(
        self,
        url: str,
        page: FetchedPage,
        fetched_at: datetime,
        extracted: Extracted,
        gov: WebPolicy,
    ) -> str | None:
        if not gov.keep_snapshots:
            return None
        key = await asyncio.to_thread(self._key.get) if gov.sign_snapshots else None
        record = build_snapshot(
            url=url,
            final_url=page.final_url,
            fetched_at=fetched_at,
            status=page.status,
            html=page.html,
            extractor_version=extracted.extractor,
            key=key,
        )
        return await self._snapshots.save(record, page.screenshot)


def _with(base: Outcome, **changes: Any) -> Outcome:
    return replace(base, **changes)


def _same_origin(base_url: str, links: list[str]) -> list[str]:
    try:
        _p, host, port = parse_target(base_url)
    except WebError:
        return []
    out = []
    for link in links:
        try:
            _lp, link_host, link_port = parse_target(link)
        except WebError:
            continue
        if (link_host, link_port) == (host, port):
            out.append(link)
    return out
