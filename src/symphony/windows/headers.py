"""Parse provider rate-limit headers and 429 bodies into one observation shape.

Pure and total: every public function takes ``now`` and returns ``None`` (or leaves a
value out) instead of raising. A garbled value is logged once, naming its header, and
ignored. Families: OpenAI/Groq/Together/OpenRouter/Mistral ``x-ratelimit-*``, Anthropic
``anthropic-ratelimit-*`` (API and subscription "unified"), ``retry-after(-ms)``, the IETF
``RateLimit``/``RateLimit-Policy`` fields (and the old ``RateLimit-Limit`` draft), and
the Gemini 429 JSON body. Facts: shared/reference/providers.md §0, §1.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from symphony.windows.durations import (
    add_seconds,
    as_utc,
    load_json_error,
    message_retry_delay,
    next_pacific_midnight,
    parse_count,
    parse_duration,
    parse_http_date,
    parse_number,
    parse_reset_value,
    parse_rfc3339,
    parse_sf_list,
    proto_duration,
    quota_dimension,
    sf_integer,
)

__all__ = [
    "LimitReading",
    "RateLimitObservation",
    "parse_duration",
    "parse_gemini_429_body",
    "parse_rate_limit_headers",
    "parse_reset_value",
    "parse_retry_after",
]

logger = logging.getLogger("symphony.windows.headers")

_MAX_WAIT_S = 400 * 86400.0
_PERIODS = ("second", "minute", "hour", "day", "week", "month")
_OPENAI = re.compile(r"x-ratelimit-(?P<kind>limit|remaining|reset)-(?P<dim>[a-z0-9_-]+)")
_ANTHROPIC = re.compile(
    r"anthropic-ratelimit-(?!unified-)(?P<dim>[a-z0-9_-]+)-(?P<kind>limit|remaining|reset)"
)
_UNIFIED = re.compile(
    r"anthropic-ratelimit-unified-(?P<dim>[a-z0-9_]+)-(?P<kind>utilization|reset)"
)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class LimitReading:
    """One limit as the server reported it at one instant."""

    dimension: str
    limit: int | None
    remaining: int | None
    resets_at: datetime | None
    utilization: float | None = None
    window_seconds: int | None = None

    def _headroom(self) -> float | None:
        if self.remaining == 0:
            return 0.0
        if self.limit and self.remaining is not None:
            return min(1.0, self.remaining / self.limit)
        if self.utilization is not None:
            return 1.0 - self.utilization
        return None


@dataclass(frozen=True, slots=True)
class RateLimitObservation:
    """Everything one response said about rate limits."""

    readings: tuple[LimitReading, ...]
    retry_after_s: float | None
    status: str | None = None
    source: str = "headers"

    def binding(self) -> LimitReading | None:
        """Return the most constraining reading.

        Lowest headroom first (``remaining == 0`` is zero headroom; ``remaining/limit``
        when the limit is known, else ``1 - utilization``); ties go to the latest
        ``resets_at``. Readings without any headroom figure rank last.
        """

        def key(reading: LimitReading) -> tuple[float, int, float]:
            headroom = reading._headroom()
            reset = reading.resets_at
            return (
                2.0 if headroom is None else headroom,
                0 if reset is not None else 1,
                -reset.timestamp() if reset is not None else 0.0,
            )

        return min(self.readings, key=key, default=None)


# --- helpers --------------------------------------------------------------------------


def _normalise(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names; keep the first value of a repeated plain header."""
    result: dict[str, str] = {}
    multi = getattr(headers, "multi_items", None)  # httpx keeps repeats apart here
    items = multi if callable(multi) else getattr(headers, "items", None)
    pairs: Iterable[tuple[object, object]] = items() if callable(items) else ()
    for raw_key, raw_value in pairs:
        key, value = _text(raw_key), _text(raw_value)
        if key is None or value is None:
            continue
        key = key.strip().lower()
        if key in ("ratelimit", "ratelimit-policy") and key in result:
            result[key] += ", " + value  # structured-field lists concatenate
        else:
            result.setdefault(key, value.strip())
    return result


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return None


def _garbled(name: str, value: str) -> None:
    logger.warning("ignoring unparseable rate-limit header %s=%r", name, value[:64])


def _utilization(value: str) -> float | None:
    number = parse_number(value)
    if number is None or number < 0 or number > 1.5:
        return None
    return min(number, 1.0)  # a little over 1 is overage; it is still "all used"


def _dimension(suffix: str) -> str:
    """Name an ``x-ratelimit-*`` suffix: "req-minute" -> "requests_per_minute"."""
    parts = ["requests" if part == "req" else part for part in suffix.split("-") if part]
    if len(parts) > 1 and parts[-1] in _PERIODS:
        return "_".join(parts[:-1]) + "_per_" + parts[-1]
    return "_".join(parts)


def _reading(
    dimension: str, names: Mapping[str, str], h: Mapping[str, str], now: datetime
) -> LimitReading | None:
    """Build a reading from ``{"limit"|"remaining"|"reset"|"utilization": header name}``."""

    def get(kind: str, parse: Callable[[str], _T | None]) -> _T | None:
        name = names.get(kind)
        if name is None:
            return None
        parsed = parse(h[name])
        if parsed is None:
            _garbled(name, h[name])
        return parsed

    limit = get("limit", parse_count)
    remaining = get("remaining", parse_count)
    resets_at = get("reset", lambda value: parse_reset_value(value, now))
    used = get("utilization", _utilization)
    if limit is None and remaining is None and resets_at is None and used is None:
        return None
    return LimitReading(dimension, limit, remaining, resets_at, used)


def _family(
    h: Mapping[str, str], pattern: re.Pattern[str], name: Callable[[str], str], now: datetime
) -> list[LimitReading | None]:
    """Read one header family whose names carry ``kind`` and ``dim`` groups."""
    groups: dict[str, dict[str, str]] = {}
    for header in h:
        match = pattern.fullmatch(header)
        if match is not None and name(match["dim"]):
            groups.setdefault(name(match["dim"]), {})[match["kind"]] = header
    return [_reading(dimension, names, h, now) for dimension, names in groups.items()]


def _present(h: Mapping[str, str], **names: str) -> dict[str, str]:
    return {kind: name for kind, name in names.items() if name in h}


def _ietf(h: Mapping[str, str], now: datetime) -> tuple[list[LimitReading], float | None]:
    """IETF ``RateLimit-Policy`` + ``RateLimit`` lists, joined by policy name."""
    policies = dict(parse_sf_list(h.get("ratelimit-policy", "")))
    services = dict(parse_sf_list(h.get("ratelimit", "")))
    if len(policies) == 1 and len(services) == 1 and policies.keys() != services.keys():
        # One of each under different names (Cloudflare's "burst" vs "default"): same quota.
        services = {next(iter(policies)): next(iter(services.values()))}
    readings: list[LimitReading] = []
    waits: list[float] = []
    for name in dict.fromkeys([*policies, *services]):
        policy, service = policies.get(name, {}), services.get(name, {})
        quota, window = sf_integer(policy.get("q")), sf_integer(policy.get("w"))
        remaining, wait = sf_integer(service.get("r")), sf_integer(service.get("t"))
        if (name in policies and quota is None) or ("w" in policy and not window):
            _garbled("ratelimit-policy", h["ratelimit-policy"])
        if (name in services and remaining is None) or ("t" in service and wait is None):
            _garbled("ratelimit", h["ratelimit"])
        resets_at = add_seconds(now, wait) if wait is not None else None
        if remaining == 0 and wait is not None and resets_at is not None:
            waits.append(float(wait))
        if quota is not None or remaining is not None or resets_at is not None:
            readings.append(LimitReading(name, quota, remaining, resets_at, None, window or None))
    return readings, max(waits, default=None)


def _old_draft(h: Mapping[str, str], now: datetime) -> LimitReading | None:
    """Drafts up to -06: ``RateLimit-Limit: 100, 100;w=60``, ``-Remaining``, ``-Reset``."""
    limit = window = None
    if "ratelimit-limit" in h:
        items = parse_sf_list(h["ratelimit-limit"])
        limit = sf_integer(items[0][0]) if items else None
        if limit is None:
            _garbled("ratelimit-limit", h["ratelimit-limit"])
        windows = [sf_integer(p.get("w")) for v, p in items if sf_integer(v) == limit]
        window = next((w for w in windows if w), None)
    names = _present(h, remaining="ratelimit-remaining", reset="ratelimit-reset")
    reading = _reading("requests", names, h, now)
    if reading is None and limit is None:
        return None
    remaining = reading.remaining if reading else None
    resets_at = reading.resets_at if reading else None
    return LimitReading("requests", limit, remaining, resets_at, None, window)


def _retry_after(h: Mapping[str, str], now: datetime) -> float | None:
    if "retry-after-ms" in h:
        millis = parse_number(h["retry-after-ms"])
        if millis is not None and 0 <= millis <= _MAX_WAIT_S * 1000:
            return millis / 1000.0
        _garbled("retry-after-ms", h["retry-after-ms"])
    if "retry-after" in h:
        value = h["retry-after"]
        seconds = parse_number(value)
        if seconds is None:
            instant = parse_http_date(value)
            if instant is not None:
                seconds = max(0.0, (instant - now).total_seconds())
        if seconds is not None and 0 <= seconds <= _MAX_WAIT_S:
            return seconds
        _garbled("retry-after", value)
    return None


# --- public API -------------------------------------------------------------------------


def parse_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Return seconds to wait from ``retry-after-ms`` or ``retry-after`` (never negative)."""
    return _retry_after(_normalise(headers), as_utc(now))


def parse_rate_limit_headers(
    headers: Mapping[str, str], now: datetime
) -> RateLimitObservation | None:
    """Read every known rate-limit header family; ``None`` when there is nothing to read.

    A dimension reported by two families keeps the first: specific ``x-ratelimit-*-<dim>``
    and ``anthropic-ratelimit-*`` before IETF fields, before the bare ``x-ratelimit-*`` and
    old-draft ``RateLimit-*`` triples (both named ``"requests"``).
    """
    h = _normalise(headers)
    now = as_utc(now)
    found: dict[str, LimitReading] = {}
    candidates = [
        *_family(h, _OPENAI, _dimension, now),
        *_family(h, _ANTHROPIC, lambda dim: dim.replace("-", "_"), now),
        *_family(h, _UNIFIED, lambda dim: f"unified_{dim}", now),
        _reading("unified", _present(h, reset="anthropic-ratelimit-unified-reset"), h, now),
    ]
    ietf_readings, ietf_wait = _ietf(h, now)
    candidates.extend(ietf_readings)
    bare = _present(
        h, limit="x-ratelimit-limit", remaining="x-ratelimit-remaining", reset="x-ratelimit-reset"
    )
    candidates.append(_reading("requests", bare, h, now))
    candidates.append(_old_draft(h, now))
    for reading in candidates:
        if reading is not None:
            found.setdefault(reading.dimension, reading)
    retry = _retry_after(h, now)
    if retry is None:
        retry = ietf_wait
    status = h.get("anthropic-ratelimit-unified-status") or None
    if not found and retry is None and status is None:
        return None
    return RateLimitObservation(tuple(found.values()), retry, status)


def parse_gemini_429_body(
    body: bytes | str | Mapping[str, object], now: datetime
) -> RateLimitObservation | None:
    """Read a Gemini ``RESOURCE_EXHAUSTED`` body: RetryInfo delay and QuotaFailure windows.

    A ``…PerDay…`` quota id is exhausted until the next 00:00 America/Los_Angeles; other
    windows are exhausted for the retry delay when one is given.
    """
    now = as_utc(now)
    error = load_json_error(body)
    if error is None:
        return None
    delays: dict[str, float | None] = {}  # first of each kind; RetryInfo is preferred
    violations: list[Mapping[str, object]] = []
    for detail in _mappings(error.get("details")):
        kind = detail.get("@type")
        kind = kind.rsplit(".", 1)[-1] if isinstance(kind, str) else ""
        if kind == "RetryInfo" and delays.get(kind) is None:
            delays[kind] = _body_delay("RetryInfo.retryDelay", detail.get("retryDelay"))
        elif kind == "QuotaFailure":
            violations.extend(_mappings(detail.get("violations")))
        elif kind == "ErrorInfo" and delays.get(kind) is None:
            delays[kind] = _error_info_delay(detail.get("metadata"), now)
    retry = delays.get("RetryInfo")
    if retry is None:
        retry = delays.get("ErrorInfo")
    if retry is None:
        retry = message_retry_delay(error.get("message"))
    readings: dict[str, LimitReading] = {}
    for violation in violations:
        reading = _violation(violation, retry, now)
        if reading is not None:
            readings.setdefault(reading.dimension, reading)
    status = error.get("status")
    status = status if isinstance(status, str) else None
    if not readings and retry is None and status != "RESOURCE_EXHAUSTED":
        return None
    return RateLimitObservation(tuple(readings.values()), retry, status, "body")


def _mappings(value: object) -> list[Mapping[str, object]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _body_delay(where: str, value: object) -> float | None:
    if value is None:
        return None
    delay = proto_duration(value)
    if delay is None:
        _garbled(where, repr(value))
    return delay


def _error_info_delay(metadata: object, now: datetime) -> float | None:
    """Code Assist variant: ``metadata.quotaResetDelay`` or ``quotaResetTimeStamp``."""
    if not isinstance(metadata, Mapping):
        return None
    delay = _body_delay("ErrorInfo.quotaResetDelay", metadata.get("quotaResetDelay"))
    stamp = metadata.get("quotaResetTimeStamp")
    if delay is None and isinstance(stamp, str):
        instant = parse_rfc3339(stamp)
        if instant is None:
            _garbled("ErrorInfo.quotaResetTimeStamp", stamp)
        else:
            delay = min(max(0.0, (instant - now).total_seconds()), _MAX_WAIT_S)
    return delay


def _violation(
    violation: Mapping[str, object], retry: float | None, now: datetime
) -> LimitReading | None:
    quota_id = violation.get("quotaId")
    dimension = quota_dimension(quota_id) if isinstance(quota_id, str) else None
    if dimension is None:
        return None
    if dimension.endswith("_per_day"):
        resets_at = next_pacific_midnight(now)
    else:
        resets_at = add_seconds(now, retry) if retry is not None else None
    value = violation.get("quotaValue")
    limit = parse_count(str(value)) if isinstance(value, str | int) else None
    return LimitReading(dimension, limit, 0, resets_at)
