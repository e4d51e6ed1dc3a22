"""Overlapping chunks of a document's text, sized in estimated tokens (≈ chars / 4)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_WORD = re.compile(r"\S+")
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Tokens in `text` estimated as ceil(chars / 4), the estimate used across Symphony."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class Chunk:
    seq: int
    text: str
    start_char: int
    tokens: int


def chunk_text(text: str, *, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Split `text` at word boundaries into chunks of about `max_tokens`, each repeating
    about `overlap_tokens` from the end of the previous one."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        return []
    limit = max_tokens * CHARS_PER_TOKEN
    overlap = overlap_tokens * CHARS_PER_TOKEN
    chunks: list[Chunk] = []
    first = 0
    while first < len(words):
        start = words[first][0]
        last = first
        while last + 1 < len(words) and words[last + 1][1] - start <= limit:
            last += 1
        end = words[last][1]
        piece = text[start:end]
        chunks.append(Chunk(len(chunks), piece, start, estimate_tokens(piece)))
        if last + 1 >= len(words):
            break
        nxt = last + 1
        while nxt - 1 > first and end - words[nxt - 1][0] <= overlap:
            nxt -= 1
        first = nxt
    return chunks
