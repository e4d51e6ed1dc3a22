"""Evidence-first execute: retrieve passages from the web corpus, put them in the prompt,
and cite them in the result.

`WebEvidence.gather(req)` runs before planning (the planner sees the real prompt size). It
searches the corpus for the request's question, keeps passages from the requested policy
sources and domains that are fresh enough (the request's `max_age_s`, never looser than the
policy's `web.max_age` / the source's own), and inserts them as a system message. A request
with `require: true` is refused (409 `no_fresh_evidence`) when nothing qualifies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.errors import NoEvidenceError, ValidationFailed
from symphony.execute.request import ExecuteRequest, WebControls
from symphony.execute.result import ExecuteResult
from symphony.policy.store import PolicyStore
from symphony.policy.web import WebPolicy, WebSource, domain_matches
from symphony.providers.base import ChatMessage
from symphony.rag.context import Evidence, evidence_for_prompt
from symphony.rag.corpus import Corpus
from symphony.rag.models import Passage, iso
from symphony.rag.service import RagService

QUOTE_CHARS = 240
INSTRUCTION = (
    "Answer from the numbered web sources below when they are relevant, and cite each "
    "non-trivial fact as [n]. If they do not answer the question, say so."
)


@dataclass(frozen=True, slots=True)
class Gathered:
    """What evidence an execute used: citations for the result, lines for its logs."""

    controls: WebControls
    citations: tuple[dict[str, Any], ...]
    logs: tuple[str, ...]

    def attach(self, result: ExecuteResult, redact: Callable[[str], str]) -> ExecuteResult:
        """`result` with the citations, the web logs (redacted) and `controls.web`."""
        return replace(
            result,
            citations=self.citations,
            logs=(*(redact(line) for line in self.logs), *result.logs),
            web=self.controls.to_dict(),
        )


@dataclass(frozen=True, slots=True)
class Fetched:
    """What fetching one URL of a `visit`/`scrape` execute did."""

    url: str
    outcome: str  # ingested | duplicate | refused | failed
    reason: str | None
    document_id: str | None


# Fetch URLs into the corpus under every ingest rule, as one audited ingest (the web flow's
# `ingest` with trigger "execute"): (urls, strategy, actor) -> one Fetched per URL.
Fetch = Callable[[tuple[str, ...], str, str | None], Awaitable[list[Fetched]]]


class WebEvidence:
    """Retrieves evidence for executes that ask for it (`web` controls), and records what
    an answer cited (`route.evidence` audit record, linked by `audit_id`)."""

    def __init__(
        self,
        rag: RagService,
        corpus: Corpus,
        policy: PolicyStore,
        audit: AuditSink,
        clock: Clock,
        fetch: Fetch,
        *,
        budget_tokens: int,
    ) -> None:
        self.fetch = fetch
        self.rag = rag
        self.corpus = corpus
        self.policy = policy
        self.audit = audit
        self.clock = clock
        self.budget_tokens = budget_tokens

    async def conclude(
        self,
        result: ExecuteResult,
        found: Gathered | None,
        req: ExecuteRequest,
        redact: Callable[[str], str],
    ) -> ExecuteResult:
        """`result` with the evidence attached; the citations audited beside the answer."""
        if found is None:
            return result
        if found.citations:
            cited = [
                {k: c[k] for k in ("n", "url", "title", "hash", "fetched_at", "snapshot_id")}
                for c in found.citations
            ]
            await self.audit.append(
                "route.evidence",
                {"audit_id": result.audit_id, "citations": cited, "web": found.controls.to_dict()},
                actor=req.actor,
                tenant=req.plan.tenant,
            )
        return found.attach(result, redact)

    async def gather(self, req: ExecuteRequest) -> tuple[ExecuteRequest, Gathered | None]:
        """`req` with evidence in its messages, and what was cited (None: not asked for)."""
        controls = req.web
        if controls is None:
            return req, None
        if not controls.active:
            return req, Gathered(controls, (), ("web: retrieval off for this request",))
        web = self.policy.snapshot.web
        chosen = _sources(web, controls.sources)
        query = controls.query or _question(req.messages)
        fetch_logs: tuple[str, ...] = ()
        visited: set[str] | None = None
        if controls.strategy in ("visit", "scrape"):
            visited, fetch_logs = await self._visit(controls, req.actor)
        now = self.clock.now()

        def accept(passage: Passage) -> bool:
            if visited is not None and passage.document_id not in visited:
                return False
            url = passage.citation.url
            covering = [s for s in chosen if s.covers(url)] if chosen else _covering(web, url)
            if chosen and not covering:
                return False
            if controls.domains_allow and not _domain_allowed(url, controls.domains_allow):
                return False
            limit = min(web.max_age_for(s) for s in covering) if covering else web.max_age_s
            if controls.max_age_s is not None:
                limit = min(limit, controls.max_age_s)
            return (now - passage.citation.fetched_at).total_seconds() <= limit

        evidence = await evidence_for_prompt(
            self.rag,
            query,
            budget_tokens=self.budget_tokens,
            k=controls.max_docs * 2,
            citation_mode=controls.citation_mode,
            accept=accept,
            max_sources=controls.max_docs,
        )
        if not evidence.passages:
            where = f"sources {', '.join(controls.sources)}" if controls.sources else "the corpus"
            message = f"web: no passage fresh enough in {where} matches {query[:80]!r}"
            if controls.require:
                if fetch_logs:
                    message += "; " + "; ".join(x.removeprefix("web: ") for x in fetch_logs)
                raise NoEvidenceError(
                    message.removeprefix("web: ") + " (ingest or refresh the sources first)",
                    detail={"query": query[:200], "sources": list(controls.sources),
                            "max_age_s": controls.max_age_s or web.max_age_s},
                )  # fmt: skip
            return req, Gathered(controls, (), (*fetch_logs, message))
        citations = await self._citations(evidence)
        block = f"{INSTRUCTION}\n\n{evidence.prompt}"
        messages = _insert_system(req.messages, block)
        chars = req.plan.prompt_chars
        if chars is None:
            chars = len(req.plan.input)
        plan = replace(req.plan, prompt_chars=chars + len(block))
        logs = tuple(
            f"web: passage [{i}] {p.citation.url} score {p.score:.3g}: {p.text[:QUOTE_CHARS]}"
            for i, p in enumerate(evidence.passages, start=1)
        )
        head = f"web: searched {query[:80]!r}: {len(citations)} source(s), ~{evidence.tokens} tok"
        return replace(req, messages=messages, plan=plan), Gathered(
            controls, citations, (*fetch_logs, head, *logs)
        )

    async def _visit(
        self, controls: WebControls, actor: str | None
    ) -> tuple[set[str], tuple[str, ...]]:
        """Fetch the request's URLs (within its `domains_allow`); the documents they gave."""
        logs: list[str] = []
        allowed: list[str] = []
        for url in controls.urls:
            if controls.domains_allow and not _domain_allowed(url, controls.domains_allow):
                logs.append(f"web: {controls.strategy} {url}: skipped (not in domains_allow)")
            else:
                allowed.append(url)
        fetched = await self.fetch(tuple(allowed), controls.strategy, actor) if allowed else []
        documents: set[str] = set()
        for item in fetched:
            reason = f" ({item.reason})" if item.reason else ""
            logs.append(f"web: {controls.strategy} {item.url}: {item.outcome}{reason}")
            if item.document_id is not None and item.outcome in ("ingested", "duplicate"):
                documents.add(item.document_id)
        return documents, tuple(logs)

    async def _citations(self, evidence: Evidence) -> tuple[dict[str, Any], ...]:
        best: dict[str, Passage] = {}
        for passage in evidence.passages:
            best.setdefault(passage.citation.url, passage)
        out: list[dict[str, Any]] = []
        for number, citation in enumerate(evidence.citations, start=1):
            passage = best[citation.url]
            record = await self.corpus.by_id(passage.document_id)
            out.append(
                {
                    "n": number,
                    "title": citation.title,
                    "url": citation.url,
                    "hash": citation.hash,
                    "fetched_at": iso(citation.fetched_at),
                    "document_id": passage.document_id,
                    "snapshot_id": None if record is None else record.snapshot_id,
                    "quote": passage.text[:QUOTE_CHARS],
                }
            )
        return tuple(out)


def _sources(web: WebPolicy, names: tuple[str, ...]) -> list[WebSource]:
    out: list[WebSource] = []
    for i, name in enumerate(names):
        source = web.source(name)
        if source is None:
            known = ", ".join(s.name for s in web.sources) or "none"
            path = f"body.web.sources[{i}]"
            message = f"unknown web source '{name}' (policy sources: {known})"
            raise ValidationFailed(
                f"{path}: {message}", detail={"fields": [{"path": path, "message": message}]}
            )
        out.append(source)
    return out


def _covering(web: WebPolicy, url: str) -> list[WebSource]:
    return [s for s in web.sources if s.covers(url)]


def _domain_allowed(url: str, domains: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return any(domain_matches(host, port, d) for d in domains)


def _question(messages: tuple[ChatMessage, ...]) -> str:
    for message in reversed(messages):
        if message.role == "user" and message.content.strip():
            return message.content
    return messages[-1].content if messages else ""


def _insert_system(messages: tuple[ChatMessage, ...], text: str) -> tuple[ChatMessage, ...]:
    """The evidence as a system message after the client's own system messages."""
    at = 0
    while at < len(messages) and messages[at].role == "system":
        at += 1
    return (*messages[:at], ChatMessage("system", text), *messages[at:])
