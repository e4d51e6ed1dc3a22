"""RAG settings (env SYMPHONY_RAG_*; read by `symphony.ingest.config.load_settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RagSettings:
    corpus: str = field(
        default="web",
        metadata={"env": "SYMPHONY_RAG_CORPUS", "help": "corpus name shown by status/metrics"},
    )
    chunk_tokens: int = field(
        default=200,
        metadata={"env": "SYMPHONY_RAG_CHUNK_TOKENS", "help": "target chunk size (≈ chars/4)"},
    )
    chunk_overlap_tokens: int = field(
        default=40,
        metadata={
            "env": "SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS",
            "help": "tokens repeated from the end of one chunk at the start of the next",
        },
    )
    stale_after_s: int = field(
        default=86_400,
        metadata={
            "env": "SYMPHONY_RAG_STALE_AFTER_S",
            "help": "index older than this is stale; documents older than this are re-fetched",
        },
    )
    default_k: int = field(
        default=5, metadata={"env": "SYMPHONY_RAG_DEFAULT_K", "help": "passages per query"}
    )

    def __post_init__(self) -> None:
        if self.chunk_tokens < 16:
            raise ValueError("SYMPHONY_RAG_CHUNK_TOKENS: must be at least 16")
        if not 0 <= self.chunk_overlap_tokens < self.chunk_tokens:
            raise ValueError(
                "SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS: must be >= 0 and below the chunk size"
            )
        if self.stale_after_s <= 0:
            raise ValueError("SYMPHONY_RAG_STALE_AFTER_S: must be positive")
        if self.default_k < 1:
            raise ValueError("SYMPHONY_RAG_DEFAULT_K: must be at least 1")
