"""Value-level parsers for rate-limit hints: durations, reset instants, structured fields.

Everything here is pure and total: a value that cannot be understood yields ``None``
rather than an exception, and no function reads the clock (``now`` is an argument).
Header names and logging live one level up, in :mod:`symphony.windows.headers`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

# A reset or wait further away than this is nonsense from a rate limiter (the longest real
# window is a calendar month); it also keeps datetime arithmetic clear of OverflowError.
MAX_HORIZON_S = 400 * 86400.0

_PACIFIC = "America/Los_Angeles"

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # Go accepts both micro signs
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_duration(text: str) -> float | None:
    """Parse a Go or protobuf duration ("6m0s", "20ms", "45.837906927s") into seconds."""
    if not isinstance(text, str):
        return None
    value = text.strip()
    if value in ("0", "+0"):
        return 0.0
    if value.startswith("+"):
        value = value[1:]
    if not value or _DURATION.fullmatch(value) is None:
        return None  # includes negative durations: a wait is never negative
    total = 0.0
    for number, unit in _DURATION_PART.findall(value):
        total += float(number) * _UNIT_SECONDS[unit]
    if not math.isfinite(total) or total > MAX_HORIZON_S:
        return None
    return total


def parse_number(text: str) -> float | None:
    """Parse a plain finite decimal number ("60", "0.42", "7999.5"), else ``None``."""
    if not isinstance(text, str):
        return None
    value = text.strip()
    if _NUMBER.fullmatch(value) is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def parse_count(text: str) -> int | None:
    """Parse a non-negative count; decimals are floored, negatives and junk give ``None``."""
    number = parse_number(text)
    if number is None or number < 0:
        return None
    return math.floor(number)


def as_utc(now: datetime) -> datetime:
    """Return ``now`` as an aware UTC instant (a naive value is taken to be UTC)."""
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    try:
        return now.astimezone(UTC)
    except (OverflowError, ValueError):
        return now


def add_seconds(now: datetime, seconds: float) -> datetime | None:
    """Return ``now + seconds``, or ``None`` if it is beyond the horizon or the calendar."""
    if not math.isfinite(seconds) or abs(seconds) > MAX_HORIZON_S:
        return None
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _within_horizon(instant: datetime, now: datetime) -> datetime | None:
    if abs((instant - now).total_seconds()) > MAX_HORIZON_S:
        return None
    return instant


def _from_epoch(seconds: float, now: datetime) -> datetime | None:
    try:
        instant = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return _within_horizon(instant, now)


def parse_rfc3339(text: str) -> datetime | None:
    """Parse an RFC 3339 timestamp into an aware UTC instant (no offset means UTC)."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    iso = f"{day}T{clock}"
    if fraction:
        iso += "." + fraction[:6].ljust(6, "0")  # fromisoformat stops at microseconds
    if offset and offset not in ("Z", "z"):
        iso += offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return as_utc(parsed)


def parse_http_date(text: str) -> datetime | None:
    """Parse an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT") into an aware UTC instant."""
    try:
        parsed = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return as_utc(parsed)


def parse_reset_value(text: str, now: datetime) -> datetime | None:
    """Turn any provider's reset hint into an aware UTC instant.

    The defensive rule: a Go duration is relative to ``now``; a bare number above 1e12 is
    epoch milliseconds, above 1e9 epoch seconds, otherwise delta-seconds; then RFC 3339,
    then HTTP-date. Negative, garbled or absurdly distant values give ``None``.
    """
    if not isinstance(text, str):
        return None
    value = text.strip()
    if not value:
        return None
    now = as_utc(now)
    number = parse_number(value)
    if number is not None:
        if number < 0:
            return None
        if number > 1e12:
            return _from_epoch(number / 1000.0, now)
        if number > 1e9:
            return _from_epoch(number, now)
        return add_seconds(now, number)
    seconds = parse_duration(value)
    if seconds is not None:
        return add_seconds(now, seconds)
    instant = parse_rfc3339(value) or parse_http_date(value)
    if instant is None:
        return None
    return _within_horizon(instant, now)


@lru_cache(maxsize=1)
def _pacific() -> ZoneInfo:
    return ZoneInfo(_PACIFIC)


def next_pacific_midnight(now: datetime) -> datetime | None:
    """Return the first 00:00 America/Los_Angeles strictly after ``now``, in UTC."""
    try:
        local = as_utc(now).astimezone(_pacific())
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), _pacific())
        return midnight.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- RFC 8941 structured-field lists, as used by the IETF RateLimit fields -------------

SfItem = tuple[str, dict[str, str]]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            current.append(char)
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _sf_bare(text: str) -> str:
    value = text.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_sf_list(text: str) -> list[SfItem]:
    """Parse a structured-field list leniently into ``(bare item, {param: value})`` pairs.

    Items whose value is empty are dropped; a parameter without ``=`` is boolean true
    (``"?1"``). Strings are unquoted; tokens, integers and byte sequences stay verbatim.
    """
    items: list[SfItem] = []
    for member in _split_outside_quotes(text, ","):
        head, *raw_params = _split_outside_quotes(member, ";")
        name = _sf_bare(head)
        if not name:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            key, sep, val = raw.partition("=")
            if key.strip():
                params[key.strip().lower()] = _sf_bare(val) if sep else "?1"
        items.append((name, params))
    return items


def sf_integer(value: str | None) -> int | None:
    """Return a non-negative structured-field Integer (at most 15 digits), else ``None``."""
    if value is None or re.fullmatch(r"\d{1,15}", value) is None:
        return None
    return int(value)


# --- Gemini 429 bodies (google.rpc error details) ----------------------------------------

_RETRY_IN = re.compile(r"retry in (\d+(?:\.\d+)?)\s*(ms|s)\b", re.IGNORECASE)
_QUOTA_PERIOD = re.compile(r"Per(Second|Minute|Hour|Day|Week|Month)(?![a-z])")


def load_json_error(body: object) -> Mapping[str, object] | None:
    """Return the ``error`` object of a Google-style JSON error body (or a list of them)."""
    payload: object = body
    if isinstance(body, bytes | bytearray):
        payload = bytes(body).decode("utf-8", errors="replace")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            return None
    if isinstance(payload, list):  # the streaming endpoint wraps errors in an array
        payload = payload[0] if payload else None
    error = payload.get("error") if isinstance(payload, Mapping) else None
    return error if isinstance(error, Mapping) else None


def proto_duration(value: object) -> float | None:
    """Seconds from a protobuf Duration: JSON ``"45.837906927s"`` or ``{seconds, nanos}``."""
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, Mapping):
        seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
        if isinstance(seconds, str):
            seconds = parse_count(seconds)
        if type(seconds) is not int or type(nanos) is not int or seconds < 0 or nanos < 0:
            return None
        total = seconds + nanos / 1e9
        return total if total <= MAX_HORIZON_S else None
    return None


def message_retry_delay(message: object) -> float | None:
    """Seconds from a human message such as ``"… Please retry in 47.434392449s."``."""
    if not isinstance(message, str):
        return None
    match = _RETRY_IN.search(message)
    if match is None:
        return None
    seconds = float(match.group(1)) / (1000.0 if match.group(2).lower() == "ms" else 1.0)
    return seconds if seconds <= MAX_HORIZON_S else None


def quota_dimension(quota_id: str) -> str | None:
    """Name the window a Gemini ``quotaId`` encodes: "…RequestsPerDay…" -> "requests_per_day"."""
    match = _QUOTA_PERIOD.search(quota_id)
    if match is None:
        return None
    if "InputToken" in quota_id:
        unit = "input_tokens"
    elif "Token" in quota_id:
        unit = "tokens"
    else:
        unit = "requests"
    return f"{unit}_per_{match.group(1).lower()}"
