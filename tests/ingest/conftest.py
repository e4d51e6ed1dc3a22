"""Fixtures of the ingest tests (defined in ingest_site.py)."""

from ingest_site import clock, internal, make, site

__all__ = ["clock", "internal", "make", "site"]
