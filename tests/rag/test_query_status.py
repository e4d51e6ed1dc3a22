"""FTS5/bm25 ranking, status and staleness, reindex estimate and run, prompt evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rag_corpus import CorpusHarness, fill

from symphony.rag.context import evidence_for_prompt
from symphony.rag.service import fts_match


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("When does the Gemini daily quota reset?", "gemini"),
        ("rolling five hour session window", "claude"),
        ("three hour rolling cap on messages", "chatgpt"),
        ("run quantized models locally on a laptop", "ollama"),
        ("latency quantiles from histogram buckets", "prometheus"),
    ],
)
async def test_bm25_ranks_the_topic_document_first(
    corpus_harness: CorpusHarness, query: str, topic: str
) -> None:
    await fill(corpus_harness)
    passages = await corpus_harness.rag.query(query, k=5)
    assert len(passages) == 5
    assert passages[0].citation.url.startswith(f"https://{topic}.example/")
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0.5


async def test_common_words_weigh_less_than_rare_ones(corpus_harness: CorpusHarness) -> None:
    await fill(corpus_harness)
    # "platform team" is in every document's filler; "RESOURCE_EXHAUSTED" in one topic only
    [top] = await corpus_harness.rag.query("platform team resource_exhausted", k=1)
    assert top.citation.url.startswith("https://gemini.example/")


async def test_passages_carry_citations(corpus_harness: CorpusHarness) -> None:
    await fill(corpus_harness, variants=2)
    [p] = await corpus_harness.rag.query("Ollama port 11434", k=1)
    assert p.citation.title.startswith("Ollama notes")
    assert len(p.citation.hash) == 64
    assert p.citation.fetched_at.tzinfo is not None
    assert p.to_dict()["citation"]["fetched_at"].endswith("Z")


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b)", "a* OR -b", "col:x", "", "   "])
async def test_query_syntax_from_users_never_breaks_fts(
    corpus_harness: CorpusHarness, query: str
) -> None:
    await fill(corpus_harness, variants=1)
    assert isinstance(await corpus_harness.rag.query(query), list)
    assert fts_match("Gemini's quota?") == '"gemini" OR "s" OR "quota"'


async def test_status_reports_staleness_against_the_limit(corpus_harness: CorpusHarness) -> None:
    h = corpus_harness
    empty = await h.rag.status()
    assert (empty.documents, empty.staleness_seconds, empty.stale) == (0, None, False)
    await fill(h, variants=2)
    fresh = await h.rag.status()
    assert (fresh.corpus, fresh.documents) == ("web", 10)
    assert fresh.chunks >= 10
    assert fresh.tokens > 0
    assert fresh.staleness_seconds == 0
    assert not fresh.stale
    h.clock.advance(timedelta(seconds=3601))
    stale = await h.rag.status()
    assert stale.staleness_seconds == 3601
    assert stale.stale
    assert stale.stale_documents == 10
    assert stale.to_dict()["last_indexed_at"] == "2026-12-01T12:00:00Z"


async def test_reindex_estimate_comes_from_the_stored_corpus(
    corpus_harness: CorpusHarness,
) -> None:
    h = corpus_harness
    await fill(h, variants=3, fetch_seconds=0.5)  # fetched now, 10 and 20 minutes ago
    h.clock.advance(timedelta(seconds=3000))  # only variant 1 (3600 s) and 2 (4200 s) are stale
    h.refetcher.pacing = 2.0
    estimate = await h.rag.estimate_reindex()
    stale = await h.corpus.fetched_before(h.clock.now() - timedelta(seconds=3600))
    assert estimate.documents == len(stale) == 5  # variant 2 of each topic
    assert estimate.tokens == sum(d.tokens for d in stale)
    assert estimate.hosts == 5
    assert estimate.seconds == pytest.approx(5 * 0.5)  # one doc per host: no pacing wait
    await fill(h, variants=3, fetch_seconds=0.5)
    h.clock.advance(timedelta(seconds=7200))
    everything = await h.rag.estimate_reindex()
    # 3 docs per host: 3 fetches of 0.5 s plus 2 waits of (2.0 - 0.5) s, times 5 hosts
    assert everything.seconds == pytest.approx(5 * (1.5 + 2 * 1.5))
    assert h.refetcher.calls == []  # a dry run fetches nothing


async def test_reindex_refetches_stale_documents_with_progress(
    corpus_harness: CorpusHarness,
) -> None:
    h = corpus_harness
    await fill(h, variants=1)
    h.clock.advance(timedelta(hours=2))
    h.refetcher.answers[h.urls["gemini/0"]] = ("ingested", None)
    h.refetcher.answers[h.urls["claude/0"]] = ("refused", "robots_disallowed")
    seen = []
    summary = await h.rag.reindex(progress=seen.append)
    assert [s.done for s in seen] == [1, 2, 3, 4, 5]
    assert {s.total for s in seen} == {5}
    assert (summary.documents, summary.ingested, summary.unchanged, summary.refused) == (5, 1, 3, 1)
    assert {strategy for _url, strategy in h.refetcher.calls} == {"scrape"}
    status = await h.rag.status()
    assert status.staleness_seconds == 0
    assert summary.last_indexed_at == h.clock.now()


async def test_evidence_fits_the_budget_and_cites_each_source_once(
    corpus_harness: CorpusHarness,
) -> None:
    await fill(corpus_harness, variants=3)
    wide = await evidence_for_prompt(corpus_harness.rag, "Gemini daily quota", budget_tokens=2000)
    assert wide.tokens <= 2000
    assert len(wide.passages) > 1
    assert len({c.url for c in wide.citations}) == len(wide.citations)
    assert wide.prompt.startswith("Sources:\n[1] https://gemini.example/")
    assert "Passages:\n[1] " in wide.prompt
    narrow = await evidence_for_prompt(corpus_harness.rag, "Gemini daily quota", budget_tokens=150)
    assert 0 < narrow.tokens <= 150
    assert len(narrow.passages) < len(wide.passages)
    titled = await evidence_for_prompt(
        corpus_harness.rag, "Gemini daily quota", budget_tokens=400, citation_mode="hash"
    )
    assert titled.prompt.startswith("Sources:\n[1] sha256:")
    assert (await evidence_for_prompt(corpus_harness.rag, "x", budget_tokens=0)).prompt == ""
    assert wide.citations_json()[0].keys() == {"title", "url", "hash", "fetched_at"}
