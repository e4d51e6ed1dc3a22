"""RAG settings (env SYMPHONY_RAG_*; read by `symphony.ingest.config.load_settings`)."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from symphony.settings import EnvSettings


class RagSettings(EnvSettings):
    """The retrieval index's restart-time knobs."""

    model_config = SettingsConfigDict(env_prefix="SYMPHONY_RAG_")
    env_section: ClassVar[str] = "retrieval (SYMPHONY_RAG_*)"

    corpus: str = Field("web", min_length=1, description="Corpus name shown by status/metrics")
    chunk_tokens: int = Field(200, ge=16, description="Target chunk size in tokens (≈ chars/4)")
    chunk_overlap_tokens: int = Field(
        40,
        ge=0,
        description="Tokens repeated from the end of one chunk at the start of the next "
        "(below the chunk size)",
    )
    stale_after_s: int = Field(
        86_400,
        gt=0,
        description="An index older than this is stale; documents older than this are "
        "re-fetched by a reindex",
    )
    default_k: int = Field(5, ge=1, description="Passages returned per query")
    evidence_tokens: int = Field(
        1500,
        ge=64,
        description="Token budget of the web evidence an execute puts in the model's prompt",
    )

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> Self:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError(
                "SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS: must be below SYMPHONY_RAG_CHUNK_TOKENS"
            )
        return self
