"""Retrieval: the document corpus, overlapping chunks, an FTS5/bm25 index and cited passages."""
