"""Main-text extraction (trafilatura), content hashes and near-duplicate fingerprints.

trafilatura runs its own fallbacks (a readability port and jusText) when its main pass finds
little, so readability-lxml is not called separately (see pyproject.toml for the numbers).
Near duplicates use trafilatura's 64-bit Charikar Simhash over the whole extracted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

import lxml.html
import trafilatura
from trafilatura.deduplication import Simhash

from symphony.ingest.digest import sha256_hex as sha256_hex  # re-exported

EXTRACTOR_VERSION = f"trafilatura {trafilatura.__version__}"
MAX_LINKS = 500
_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a page says, stripped of navigation and boilerplate."""

    title: str
    text: str
    content_sha256: str
    simhash: str
    extractor: str = EXTRACTOR_VERSION


def normalize_text(text: str) -> str:
    """Collapse runs of spaces and blank lines so trivial whitespace changes hash the same."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def fingerprint(text: str) -> str:
    """The 64-bit Simhash of `text` as hex."""
    return Simhash(text).to_hex()


def similarity(a: str, b: str) -> float:
    """Simhash similarity (1 - Hamming distance / 64) of two hex fingerprints."""
    return Simhash(existing_hash=a).similarity(Simhash(existing_hash=b))


def _html_title(html: str) -> str:
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    title = root.findtext(".//title")
    return " ".join(title.split()) if title else ""


def extract(html: str, url: str) -> Extracted | None:
    """Title and main text of `html` (None when there is no main text at all)."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
    )
    text = normalize_text(getattr(doc, "text", None) or "") if doc is not None else ""
    if not text:
        return None
    title = (getattr(doc, "title", None) or "").strip() or _html_title(html) or url
    return Extracted(
        title=title, text=text, content_sha256=sha256_hex(text), simhash=fingerprint(text)
    )


def same_site_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) links of `<a href>` in `html`, without fragments, in page order."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    root.make_links_absolute(base_url, resolve_base_href=True)
    seen: dict[str, None] = {}
    for element in root.iter("a"):
        href = element.get("href")
        if not href:
            continue
        link = urldefrag(href.strip())[0]
        if urlsplit(link).scheme in ("http", "https"):
            seen.setdefault(link, None)
        if len(seen) >= MAX_LINKS:
            break
    return list(seen)
