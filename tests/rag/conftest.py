"""Fixtures of the RAG tests (defined in rag_corpus.py)."""

from rag_corpus import clock, corpus_harness

__all__ = ["clock", "corpus_harness"]
