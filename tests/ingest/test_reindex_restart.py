"""Reindex through the real ingest rules, and a corpus that survives a restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ingest_site import GLACIER, Harness, Site, article

from symphony.clock import FixedClock
from symphony.ingest.snapshot import verify_snapshot


async def test_reindex_refetches_stale_pages_under_every_rule(
    make: Callable[..., Harness], site: Site, clock: FixedClock
) -> None:
    h = make()
    urls = [site.url(p) for p in ("/static/aurora", "/static/glacier", "/static/volcano")]
    assert [o.outcome for o in await h.stack.ingest.ingest(urls, "scrape")] == ["ingested"] * 3
    clock.advance(timedelta(days=2))
    estimate = await h.stack.rag.estimate_reindex()
    assert estimate.documents == 3
    assert estimate.tokens > 0
    assert estimate.seconds > 0
    hits_before = sum(site.hits.values())
    assert sum(site.hits.values()) == hits_before  # the estimate fetched nothing

    changed = [*GLACIER]
    changed[0] = "Glaciers now also store sediment cores that date volcanic ash layers."
    site.pages["/static/glacier"] = article("Glacier basics", changed)
    site.robots += "\nUser-agent: *\nDisallow: /static/volcano\n"
    progress: list[tuple[int, str]] = []
    summary = await h.stack.rag.reindex(progress=lambda p: progress.append((p.done, p.outcome)))
    assert (summary.documents, summary.ingested, summary.unchanged, summary.refused) == (3, 1, 1, 1)
    assert [done for done, _ in progress] == [1, 2, 3]
    assert site.hits["/static/volcano"] == 1  # robots now disallows: not fetched again
    [top] = await h.stack.rag.query("sediment cores volcanic ash layers", k=1)
    assert top.citation.url == site.url("/static/glacier")
    assert top.citation.fetched_at == clock.now()
    status = await h.stack.rag.status()
    assert status.staleness_seconds == 0
    assert status.stale_documents == 1


async def test_restart_keeps_documents_chunks_and_snapshots(
    make: Callable[..., Harness], site: Site
) -> None:
    first = make()
    await first.stack.ingest.ingest(
        [site.url("/static/aurora"), site.url("/static/volcano")], "scrape"
    )
    before = await first.stack.rag.status()
    [hit] = await first.stack.rag.query("shield volcanoes Mauna Loa", k=1)
    await first.stack.aclose()

    second = make(data_dir=first.data_dir)
    after = await second.stack.rag.status()
    assert (after.documents, after.chunks, after.tokens) == (
        before.documents,
        before.chunks,
        before.tokens,
    )
    assert after.last_indexed_at == before.last_indexed_at
    [again] = await second.stack.rag.query("shield volcanoes Mauna Loa", k=1)
    assert (again.text, again.citation) == (hit.text, hit.citation)
    stored = second.stack.snapshots.get(site.url("/static/volcano"))
    assert stored is not None
    key = second.stack.signing_key.get()  # the same key file, not a new one
    assert verify_snapshot(stored.record, key.public_key()).ok
    [outcome] = await second.stack.ingest.ingest([site.url("/static/aurora")], "scrape")
    assert (outcome.outcome, outcome.reason) == ("duplicate", "unchanged")
