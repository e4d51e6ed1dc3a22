"""One way to call an outside HTTP API: status codes and transport failures become typed
`IntegrationError`s that say whether to retry and how long the vendor asked us to wait."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from symphony.clock import Clock
from symphony.integrations.base import IntegrationError

DEFAULT_TIMEOUT_S = 10.0
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_ERROR_TEXT = 300


def new_http_client(timeout_s: float = DEFAULT_TIMEOUT_S) -> httpx.AsyncClient:
    """The client integrations share in production (tests pass their own transport)."""
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), follow_redirects=False)


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), else None."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _github_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """GitHub: no Retry-After but x-ratelimit-remaining 0 means wait until x-ratelimit-reset."""
    if headers.get("x-ratelimit-remaining") != "0":
        return None
    try:
        reset = float(headers.get("x-ratelimit-reset", ""))
    except ValueError:
        return None
    return max(0.0, reset - now.timestamp())


def error_text(response: httpx.Response) -> str:
    """The vendor's own words, short: JSON `message`/`errorMessages`/`errors`, else text."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:MAX_ERROR_TEXT] or response.reason_phrase
    if isinstance(body, dict):
        parts: list[str] = []
        if isinstance(body.get("message"), str):
            parts.append(body["message"])
        if isinstance(body.get("errorMessages"), list):
            parts.extend(str(m) for m in body["errorMessages"])
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts.extend(f"{k}: {v}" for k, v in errors.items())
        elif isinstance(errors, list):
            parts.extend(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
        if parts:
            return "; ".join(parts)[:MAX_ERROR_TEXT]
    return text.strip()[:MAX_ERROR_TEXT]


async def send(
    client: httpx.AsyncClient,
    clock: Clock,
    vendor: str,
    operation: str,
    method: str,
    url: str,
    *,
    expect: Collection[int] = (200, 201),
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    params: Mapping[str, str | int] | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.Response:
    """Make one request; return the response if its status is expected, else raise."""
    try:
        response = await client.request(
            method,
            url,
            headers=headers,
            json=json_body,
            params=params,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TimeoutException as exc:
        # A timed-out write may have been applied: the caller reconciles before retrying.
        raise IntegrationError(
            vendor,
            operation,
            f"timed out ({type(exc).__name__})",
            retryable=True,
            ambiguous=method != "GET",
        ) from exc
    except httpx.TransportError as exc:
        sent = not isinstance(exc, httpx.ConnectError)
        raise IntegrationError(
            vendor,
            operation,
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
            retryable=True,
            ambiguous=sent and method != "GET",
        ) from exc
    if response.status_code in expect:
        return response
    now = clock.now()
    status = response.status_code
    wait = retry_after(response.headers, now)
    if vendor == "github" and status in (403, 429) and wait is None:
        wait = _github_wait(response.headers, now)
    text = error_text(response)
    if vendor == "github" and status == 403 and wait is None and "rate limit" in text.lower():
        wait = 60.0  # a secondary limit without headers: GitHub asks for at least a minute
    rate_limited = status == 429 or (status == 403 and wait is not None)
    raise IntegrationError(
        vendor,
        operation,
        text,
        status=status,
        retryable=status in RETRYABLE_STATUS or rate_limited,
        retry_after_s=wait,
    )
