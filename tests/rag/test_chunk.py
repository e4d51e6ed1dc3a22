"""Chunking: sizes, overlap, and nothing lost."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.rag.chunk import chunk_text, estimate_tokens

words = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=12), min_size=0, max_size=400)


@settings(max_examples=150, deadline=None)
@given(words=words, size=st.integers(16, 120), overlap_ratio=st.floats(0, 0.6))
def test_chunks_cover_every_word_within_size_with_overlap(
    words: list[str], size: int, overlap_ratio: float
) -> None:
    text = " ".join(words)
    overlap = int(size * overlap_ratio)
    chunks = chunk_text(text, max_tokens=size, overlap_tokens=overlap)
    if not words:
        assert chunks == []
        return
    assert chunks[0].start_char == 0
    assert chunks[-1].start_char + len(chunks[-1].text) == len(text)
    for chunk in chunks:
        assert text[chunk.start_char : chunk.start_char + len(chunk.text)] == chunk.text
        assert len(chunk.text) <= size * 4 or " " not in chunk.text  # one long word may overflow
        assert chunk.tokens == estimate_tokens(chunk.text)
    for before, after in itertools.pairwise(chunks):
        before_end = before.start_char + len(before.text)
        assert after.start_char > before.start_char  # always progresses
        assert after.start_char <= before_end + 1  # no gap: at most the separating space
        assert before_end - after.start_char <= overlap * 4  # overlap within its budget


def test_overlap_repeats_the_tail_of_the_previous_chunk() -> None:
    text = " ".join(f"w{i:02d}" for i in range(60))
    chunks = chunk_text(text, max_tokens=20, overlap_tokens=5)
    assert len(chunks) > 2
    # 5 tokens = 20 chars = "w15 w16 w17 w18 w19": five 3-letter words and their spaces
    assert chunks[1].text.split()[:5] == chunks[0].text.split()[-5:]
