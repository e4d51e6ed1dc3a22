"""Rate-limit response headers in each provider's real encoding (pure: take `now`).

- openai: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, reset as a Go duration
- anthropic: `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`, RFC 3339 reset,
  token remaining rounded to the nearest thousand
- anthropic_unified: `anthropic-ratelimit-unified-*`, utilization fractions, epoch-second resets
- ietf: `RateLimit-Policy` / `RateLimit` structured fields (draft-ietf-httpapi-ratelimit-headers)
- none: nothing on success
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from symphony.simulator.config import HeaderStyle
from symphony.simulator.state import LimitView, ceil_seconds


def go_duration(seconds: float) -> str:
    """Format seconds like Go's time.Duration.String(), to the millisecond (`6m0s`, `1.5s`)."""
    total_ms = round(max(0.0, seconds) * 1000)
    if total_ms == 0:
        return "0s"
    if total_ms < 1000:
        return f"{total_ms}ms"
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, ms = divmod(rest, 60_000)
    secs = f"{ms // 1000}" if ms % 1000 == 0 else f"{ms / 1000:.3f}".rstrip("0")
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def rfc3339(epoch: float) -> str:
    """Format an epoch instant as RFC 3339 UTC with a `Z` suffix, whole seconds."""
    return datetime.fromtimestamp(math.ceil(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _round_thousand(value: int) -> int:
    return round(value / 1000.0) * 1000


def _openai(view: LimitView, limited: bool) -> dict[str, str]:
    headers: dict[str, str] = {}
    reset = go_duration(view.reset_at - view.now)
    if view.cap is not None or limited:
        headers["x-ratelimit-limit-requests"] = str(view.cap if view.cap is not None else 0)
        headers["x-ratelimit-remaining-requests"] = "0" if limited else str(view.remaining)
        headers["x-ratelimit-reset-requests"] = reset
    if view.tokens_cap is not None:
        headers["x-ratelimit-limit-tokens"] = str(view.tokens_cap)
        headers["x-ratelimit-remaining-tokens"] = str(view.tokens_remaining)
        headers["x-ratelimit-reset-tokens"] = reset
    return headers


def _anthropic(view: LimitView, limited: bool) -> dict[str, str]:
    headers: dict[str, str] = {}
    reset = rfc3339(view.reset_at)
    if view.cap is not None or limited:
        headers["anthropic-ratelimit-requests-limit"] = str(view.cap if view.cap else 0)
        headers["anthropic-ratelimit-requests-remaining"] = "0" if limited else str(view.remaining)
        headers["anthropic-ratelimit-requests-reset"] = reset
    if view.tokens_cap is not None and view.tokens_remaining is not None:
        headers["anthropic-ratelimit-tokens-limit"] = str(view.tokens_cap)
        headers["anthropic-ratelimit-tokens-remaining"] = str(
            _round_thousand(view.tokens_remaining)
        )
        headers["anthropic-ratelimit-tokens-reset"] = reset
    return headers


def _unified(view: LimitView, limited: bool) -> dict[str, str]:
    five = 1.0 if limited else view.utilization
    week = view.week_utilization
    if limited:
        status = "rejected"
    elif max(five, week) >= 0.8:
        status = "allowed_warning"
    else:
        status = "allowed"
    weekly_binds = week > five
    five_reset = str(math.ceil(view.reset_at))
    week_reset = str(math.ceil(view.week_reset_at))
    return {
        "anthropic-ratelimit-unified-status": status,
        "anthropic-ratelimit-unified-5h-utilization": f"{five:.2f}",
        "anthropic-ratelimit-unified-5h-reset": five_reset,
        "anthropic-ratelimit-unified-7d-utilization": f"{week:.2f}",
        "anthropic-ratelimit-unified-7d-reset": week_reset,
        "anthropic-ratelimit-unified-reset": week_reset if weekly_binds else five_reset,
        "anthropic-ratelimit-unified-representative-claim": (
            "seven_day" if weekly_binds else "five_hour"
        ),
    }


def _ietf(view: LimitView, limited: bool) -> dict[str, str]:
    if view.cap is None and not limited:
        return {}
    quota = view.cap if view.cap is not None else 0
    window = max(1, math.ceil(view.window_s))
    remaining = 0 if limited else view.remaining
    reset = max(0, math.ceil(view.reset_at - view.now))
    return {
        "RateLimit-Policy": f'"default";q={quota};w={window}',
        "RateLimit": f'"default";r={remaining};t={reset}',
    }


def limit_headers(style: HeaderStyle, view: LimitView, *, limited: bool) -> dict[str, str]:
    """Render the rate-limit headers of `style`; `limited` renders a 429's exhausted state."""
    if style == "openai":
        return _openai(view, limited)
    if style == "anthropic":
        return _anthropic(view, limited)
    if style == "anthropic_unified":
        return _unified(view, limited)
    if style == "ietf":
        return _ietf(view, limited)
    return {}


def retry_after_header(seconds: float) -> dict[str, str]:
    """A `retry-after` header in whole seconds (at least 1)."""
    return {"retry-after": str(ceil_seconds(seconds))}
