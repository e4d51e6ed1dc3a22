"""Embedding calls: the provider-neutral request and result, and the float32 base64 codec.

OpenAI's `encoding_format: base64` is the vector's little-endian float32 bytes in base64;
adapters decode what their upstream sends into floats and the API encodes again when the
client asked for base64, so every protocol can answer either way.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from symphony.kit.tokens import estimate_prompt_tokens
from symphony.providers.base import Usage

__all__ = ["EmbedRequest", "Embeddings", "decode_base64", "encode_base64"]

TokenIds = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class EmbedRequest:
    """Embed each of `inputs` (text, or token ids for OpenAI-protocol upstreams)."""

    model: str
    inputs: tuple[str | TokenIds, ...]
    dimensions: int | None = None
    user: str | None = None
    timeout_s: float = 60.0
    native: Mapping[str, Any] | None = field(default=None)  # the client's OpenAI-shaped body

    def estimate(self) -> Usage:
        """Estimated prompt tokens when the upstream reports none."""
        total = 0
        for item in self.inputs:
            total += len(item) if isinstance(item, tuple) else estimate_prompt_tokens(len(item))
        return Usage(prompt_tokens=total, completion_tokens=0)


@dataclass(frozen=True, slots=True)
class Embeddings:
    """One vector per input, in input order, with the call's usage and upstream status."""

    vectors: tuple[tuple[float, ...], ...]
    usage: Usage
    status: int
    headers: Mapping[str, str]


def encode_base64(vector: tuple[float, ...]) -> str:
    """OpenAI's base64 encoding: little-endian float32 bytes."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def decode_base64(text: str) -> tuple[float, ...]:
    """The floats of a base64 float32 vector; raise ValueError when it is not one."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) % 4:
        raise ValueError("base64 embedding is not a whole number of float32 values")
    return struct.unpack(f"<{len(raw) // 4}f", raw)
