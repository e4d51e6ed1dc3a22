"""Property tests: the header and body parsers are total and their outputs are sane."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.windows.headers import (
    RateLimitObservation,
    parse_duration,
    parse_gemini_429_body,
    parse_rate_limit_headers,
    parse_reset_value,
    parse_retry_after,
)

KNOWN_NAMES = [
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
    "x-ratelimit-reset-req-minute",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-output-tokens-remaining",
    "anthropic-ratelimit-unified-5h-utilization",
    "anthropic-ratelimit-unified-7d-reset",
    "anthropic-ratelimit-unified-reset",
    "anthropic-ratelimit-unified-status",
    "retry-after",
    "Retry-After-Ms",
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Reset",
]
TRICKY_VALUES = [
    "",
    "-1",
    "0",
    "1e400",
    "nan",
    "inf",
    "6m0s",
    "-6m0s",
    "99999999999999999999h",
    "1760000400",
    "1760000400000",
    "99999999999999999999999",
    "2025-10-09T09:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",
    "Thu, 09 Oct 2025 09:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    '"a";q=1;w=1,"a";r=0;t=1',
    '"x;q=1',
    ';;,,=;"',
    "\\",
    "\x00\u00b5s",
]

values = st.one_of(st.sampled_from(TRICKY_VALUES), st.text(max_size=40))
names = st.one_of(st.sampled_from(KNOWN_NAMES), st.text(max_size=30))
instants = st.datetimes(timezones=st.just(UTC))
FIXED = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "error",
                    "details",
                    "@type",
                    "retryDelay",
                    "violations",
                    "quotaId",
                    "quotaValue",
                    "metadata",
                    "seconds",
                    "nanos",
                    "status",
                    "message",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)
detail_types = st.sampled_from(
    [f"type.googleapis.com/google.rpc.{k}" for k in ("RetryInfo", "QuotaFailure", "ErrorInfo")]
)
gemini_like = st.builds(
    lambda kind, delay, quota_id, value, extra: {
        "error": {
            "status": "RESOURCE_EXHAUSTED",
            "message": f"retry in {delay}",
            "details": [
                {
                    "@type": kind,
                    "retryDelay": delay,
                    "metadata": {"quotaResetDelay": delay, "quotaResetTimeStamp": delay},
                    "violations": [{"quotaId": quota_id, "quotaValue": value}],
                },
                extra,
            ],
        }
    },
    detail_types,
    values | json_values,
    st.sampled_from(["GenerateRequestsPerDayPerProject", "TokensPerMinute", ""]) | st.text(),
    json_values,
    json_values,
)


def _sane(observation: RateLimitObservation | None, now: datetime) -> None:
    if observation is None:
        return
    if observation.retry_after_s is not None:
        assert 0 <= observation.retry_after_s <= 400 * 86400
    for reading in observation.readings:
        assert reading.dimension
        assert reading.limit is None or reading.limit >= 0
        assert reading.remaining is None or reading.remaining >= 0
        assert reading.utilization is None or 0 <= reading.utilization <= 1
        if reading.resets_at is not None:
            assert reading.resets_at.utcoffset() == timedelta(0)
            assert abs(reading.resets_at - now) <= timedelta(days=401)
    observation.binding()  # total as well


@given(st.dictionaries(names, values, max_size=12), instants)
@settings(max_examples=300)
def test_random_headers_never_raise(headers: dict[str, str], now: datetime) -> None:
    _sane(parse_rate_limit_headers(headers, now), now)
    wait = parse_retry_after(headers, now)
    assert wait is None or wait >= 0


@given(st.dictionaries(names, values, max_size=12))
def test_random_headers_at_a_fixed_instant_stay_sane(headers: dict[str, str]) -> None:
    _sane(parse_rate_limit_headers(headers, FIXED), FIXED)


@given(
    st.one_of(st.binary(max_size=200), st.text(max_size=200), json_values, gemini_like), instants
)
@settings(max_examples=300)
def test_random_bodies_never_raise(body: Any, now: datetime) -> None:
    _sane(parse_gemini_429_body(body, now), now)
    if isinstance(body, dict):
        _sane(parse_gemini_429_body(json.dumps(body, default=str).encode(), now), now)


@given(values, instants)
def test_value_parsers_are_total(text: str, now: datetime) -> None:
    duration = parse_duration(text)
    assert duration is None or 0 <= duration <= 400 * 86400
    reset = parse_reset_value(text, now)
    assert reset is None or reset.utcoffset() == timedelta(0)


@given(
    st.integers(0, 99),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 999),
    st.booleans(),
)
def test_go_durations_round_trip(
    hours: int, minutes: int, seconds: int, millis: int, zero_parts: bool
) -> None:
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms")]
    text = "".join(f"{n}{u}" for n, u in parts if n or zero_parts) or "0"
    expected = hours * 3600 + minutes * 60 + seconds + millis / 1000
    assert parse_duration(text) == pytest.approx(expected, abs=1e-9)
    reset = parse_reset_value(text, FIXED)
    assert reset is not None
    assert abs((reset - FIXED).total_seconds() - expected) < 1e-6
