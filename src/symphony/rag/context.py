"""Evidence for a model prompt: the best passages that fit a token budget, with citations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from symphony.rag.chunk import estimate_tokens
from symphony.rag.models import Citation, Passage, iso
from symphony.rag.service import RagService

CitationMode = Literal["url", "title", "hash"]
MAX_PER_DOCUMENT = 3
_FRAME = "Sources:\n\nPassages:\n"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Passages chosen for a prompt, the block of text to insert, and what it cites."""

    passages: tuple[Passage, ...]
    citations: tuple[Citation, ...]  # one per document, numbered [1], [2], … in `prompt`
    prompt: str
    tokens: int  # estimated tokens of `prompt`

    def citations_json(self) -> list[dict[str, str]]:
        return [c.to_dict() for c in self.citations]


def _label(citation: Citation, mode: CitationMode) -> str:
    if mode == "title":
        return citation.title
    if mode == "hash":
        return f"sha256:{citation.hash}"
    return citation.url


def format_source(number: int, citation: Citation, mode: CitationMode) -> str:
    """The header line of a cited source in the prompt."""
    return (
        f"[{number}] {_label(citation, mode)} ({citation.title}; {citation.url}; "
        f"fetched {iso(citation.fetched_at)}; sha256 {citation.hash[:16]})"
    )


async def evidence_for_prompt(
    rag: RagService,
    query: str,
    *,
    budget_tokens: int,
    k: int = 8,
    citation_mode: CitationMode = "url",
    accept: Callable[[Passage], bool] | None = None,
    max_sources: int | None = None,
) -> Evidence:
    """Rank passages for `query` and keep, best first, those that fit in `budget_tokens`.

    `accept` filters passages (e.g. by source and freshness); `max_sources` caps the number
    of cited documents."""
    if budget_tokens <= 0:
        return Evidence((), (), "", 0)
    ranked = await rag.query(query, k=max(k * 3, k) if accept is None else 100)
    if accept is not None:
        ranked = [p for p in ranked if accept(p)]
    numbers: dict[str, int] = {}
    cited: list[Citation] = []
    kept: list[Passage] = []
    per_doc: dict[str, int] = {}
    headers: list[str] = []
    blocks: list[str] = []
    used = estimate_tokens(_FRAME)
    for passage in ranked:
        if len(kept) >= k or per_doc.get(passage.document_id, 0) >= MAX_PER_DOCUMENT:
            continue
        new_source = passage.document_id not in numbers
        if new_source and max_sources is not None and len(numbers) >= max_sources:
            continue
        number = numbers.get(passage.document_id, len(numbers) + 1)
        block = f"[{number}] {passage.text}\n"
        header = format_source(number, passage.citation, citation_mode) + "\n"
        cost = estimate_tokens(block) + (estimate_tokens(header) if new_source else 0)
        if used + cost > budget_tokens:
            continue
        if new_source:
            numbers[passage.document_id] = number
            cited.append(passage.citation)
            headers.append(header)
        blocks.append(block)
        kept.append(passage)
        per_doc[passage.document_id] = per_doc.get(passage.document_id, 0) + 1
        used += cost
    if not kept:
        return Evidence((), (), "", 0)
    prompt = "Sources:\n" + "".join(headers) + "\nPassages:\n" + "".join(blocks)
    return Evidence(tuple(kept), tuple(cited), prompt, estimate_tokens(prompt))
