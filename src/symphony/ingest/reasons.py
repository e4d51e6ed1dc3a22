"""The closed set of reasons a URL is refused or fails, and the exceptions carrying them."""

from __future__ import annotations

from enum import StrEnum

from symphony.errors import SymphonyError


class Reason(StrEnum):
    # refused: a rule said no before (or instead of) fetching
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    INVALID_URL = "invalid_url"
    CREDENTIALS_IN_URL = "credentials_in_url"
    TOS_DENIED = "tos_denied"
    DOMAIN_BLOCKED = "domain_blocked"
    NOT_ALLOWLISTED = "not_allowlisted"
    PRIVATE_ADDRESS = "private_address"
    ROBOTS_DISALLOWED = "robots_disallowed"
    TOO_LARGE = "too_large"
    MAX_DOCUMENTS = "max_documents"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    # failed: we tried and it did not work
    TIMEOUT = "timeout"
    DNS_FAILED = "dns_failed"
    CONNECT_FAILED = "connect_failed"
    HTTP_STATUS = "http_status"
    NOT_HTML = "not_html"
    NO_CONTENT = "no_content"
    BROWSER_FAILED = "browser_failed"
    # duplicate: fetched, but the corpus already holds it
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    UNCHANGED = "unchanged"
    CACHED = "cached"


REFUSALS = frozenset(
    {
        Reason.UNSUPPORTED_SCHEME,
        Reason.INVALID_URL,
        Reason.CREDENTIALS_IN_URL,
        Reason.TOS_DENIED,
        Reason.DOMAIN_BLOCKED,
        Reason.NOT_ALLOWLISTED,
        Reason.PRIVATE_ADDRESS,
        Reason.ROBOTS_DISALLOWED,
        Reason.TOO_LARGE,
        Reason.MAX_DOCUMENTS,
        Reason.TOO_MANY_REDIRECTS,
    }
)


class WebError(SymphonyError):
    """A URL could not be ingested; `reason` is the machine-readable cause."""

    status = 422
    code = "web_error"

    def __init__(self, reason: Reason, message: str, *, url: str) -> None:
        super().__init__(message, detail={"reason": reason.value, "url": url})
        self.reason = reason
        self.url = url

    @property
    def refused(self) -> bool:
        return self.reason in REFUSALS


class Refused(WebError):
    """A rule (SSRF guard, governance, robots.txt, a cap) refused the URL."""

    status = 403
    code = "web_refused"


class FetchFailed(WebError):
    """The fetch itself failed (timeout, DNS, connection, HTTP status, no content)."""

    status = 502
    code = "web_fetch_failed"
