"""Put a fetched document into the corpus: chunk it and replace its chunks atomically."""

from __future__ import annotations

from symphony.clock import Clock
from symphony.rag.chunk import Chunk, chunk_text
from symphony.rag.config import RagSettings
from symphony.rag.corpus import Corpus
from symphony.rag.models import NewDocument


class Indexer:
    """Chunks with the configured size and overlap, and writes document + chunks together."""

    def __init__(self, corpus: Corpus, clock: Clock, settings: RagSettings) -> None:
        self.corpus = corpus
        self._clock = clock
        self.settings = settings

    def chunks_of(self, text: str) -> list[Chunk]:
        """Chunk `text` with the configured size and overlap."""
        return chunk_text(
            text,
            max_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
        )

    async def index(self, doc: NewDocument) -> tuple[str, int]:
        """Store `doc` with fresh chunks; return (document id, chunk count)."""
        chunks = self.chunks_of(doc.text)
        doc_id = await self.corpus.put(doc, chunks, self._clock.now())
        return doc_id, len(chunks)
