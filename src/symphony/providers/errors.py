"""The closed set of ways an upstream call can fail, as one exception type.

The executor reasons only about ``ProviderError.kind``; ``headers`` and ``body`` keep the
raw upstream evidence (rate-limit headers, Gemini ``RetryInfo``) for whoever wants it.
Messages name the upstream and its status, and never contain the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit

from symphony.providers.base import Usage

__all__ = [
    "MAX_ERROR_BODY_BYTES",
    "RETRYABLE_KINDS",
    "ErrorKind",
    "ProviderError",
    "display_url",
    "kind_for_status",
    "redact",
    "redact_bytes",
    "shorten",
]

ErrorKind = Literal[
    "rate_limited",
    "unavailable",
    "timeout",
    "auth",
    "bad_request",
    "context_length",
    "content_policy",
    "quota_exhausted",  # OpenAI's insufficient_quota 429: no credit, so never retried
    "too_large",  # the answer passed ChatRequest.max_response_bytes: read no further
]

RETRYABLE_KINDS: Final[frozenset[str]] = frozenset({"rate_limited", "unavailable", "timeout"})
MAX_ERROR_BODY_BYTES: Final = 64 * 1024
_MESSAGE_LIMIT: Final = 300
_REDACTED: Final = "[REDACTED]"


class ProviderError(Exception):
    """An upstream call failed in one of the ``ErrorKind`` ways."""

    kind: ErrorKind
    status: int | None
    message: str
    retryable: bool
    headers: Mapping[str, str]
    body: bytes
    partial_text: str
    partial_usage: Usage | None
    protocol: str

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        partial_text: str = "",
        partial_usage: Usage | None = None,
        retryable: bool | None = None,
        protocol: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.message = message
        self.retryable = kind in RETRYABLE_KINDS if retryable is None else retryable
        self.headers = dict(headers) if headers is not None else {}
        self.body = body[:MAX_ERROR_BODY_BYTES]
        self.partial_text = partial_text
        self.partial_usage = partial_usage
        self.protocol = protocol

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"ProviderError(kind={self.kind!r}, status={self.status!r}, "
            f"retryable={self.retryable!r}, message={self.message!r})"
        )


def kind_for_status(status: int) -> ErrorKind:
    """Classify an upstream HTTP status before looking at the body."""
    if status in (429, 529):  # 529: Anthropic "overloaded", retried like a 429
        return "rate_limited"
    if status in (401, 403):
        return "auth"
    if status == 408:
        return "timeout"
    if 400 <= status < 500:
        return "bad_request"
    return "unavailable"  # 5xx, and anything else that is not a success


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text``."""
    if secret and secret in text:
        return text.replace(secret, _REDACTED)
    return text


def redact_bytes(data: bytes, secret: str | None) -> bytes:
    """Replace every occurrence of ``secret`` in raw bytes."""
    if secret:
        needle = secret.encode()
        if needle in data:
            return data.replace(needle, _REDACTED.encode())
    return data


def shorten(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    """Collapse whitespace and cut ``text`` to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def display_url(url: str) -> str:
    """Return ``url`` without userinfo, query or fragment, for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid url>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
