"""Gemini 429 bodies: RetryInfo delays and QuotaFailure windows (providers.md §1.3)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from symphony.windows.headers import LimitReading, RateLimitObservation, parse_gemini_429_body

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PER_DAY = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
PER_MINUTE = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
TOKENS_PER_MINUTE = "GenerateContentInputTokensPerModelPerMinute-FreeTier"
METRIC_PREFIX = "generativelanguage.googleapis.com"
PAID_TOKENS = "GenerateContentPaidTierInputTokensPerModelPerMinute"


def body(
    *details: dict[str, Any], message: str = "You exceeded your current quota."
) -> dict[str, Any]:
    return {
        "error": {
            "code": 429,
            "message": message,
            "status": "RESOURCE_EXHAUSTED",
            "details": list(details),
        }
    }


def quota_failure(*quota_ids: str, value: object = "250") -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": f"{METRIC_PREFIX}/generate_content_free_tier_requests",
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": "gemini-2.5-pro"},
                "quotaValue": value,
            }
            for quota_id in quota_ids
        ],
    }


def retry_info(delay: object) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


HELP = {
    "@type": "type.googleapis.com/google.rpc.Help",
    "links": [
        {"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}
    ],
}


@pytest.mark.parametrize("encode", [lambda b: b, json.dumps, lambda b: json.dumps(b).encode()])
def test_realistic_body_in_every_input_type(encode: Any) -> None:
    payload = body(
        quota_failure(PER_MINUTE, value="2"),
        HELP,
        retry_info("45.837906927s"),
        message="You exceeded your current quota. Please retry in 45.837906927s.",
    )
    observation = parse_gemini_429_body(encode(payload), NOW)
    delay = 45.837906927
    assert observation == RateLimitObservation(
        (LimitReading("requests_per_minute", 2, 0, NOW + timedelta(seconds=delay)),),
        retry_after_s=pytest.approx(delay),  # type: ignore[arg-type]
        status="RESOURCE_EXHAUSTED",
        source="body",
    )


@pytest.mark.parametrize(
    ("now", "midnight"),
    [
        # winter (PST, UTC-8)
        (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), datetime(2026, 1, 16, 8, 0, tzinfo=UTC)),
        # summer (PDT, UTC-7); 23:59 PDT on Oct 31 is 06:59Z on Nov 1
        (datetime(2026, 10, 31, 12, 0, tzinfo=UTC), datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 1, 6, 59, 59, tzinfo=UTC), datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),
        # exactly midnight PDT on the DST-end day: the next one is 25 hours away, in PST
        (datetime(2026, 11, 1, 7, 0, tzinfo=UTC), datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
        # inside the repeated 01:00-02:00 hour and after the fall-back
        (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
        (datetime(2026, 11, 1, 10, 0, tzinfo=UTC), datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
        # DST start 2026-03-08: the day is 23 hours long
        (datetime(2026, 3, 8, 9, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),
        # a naive now is taken as UTC
        (datetime(2026, 1, 15, 12, 0), datetime(2026, 1, 16, 8, 0, tzinfo=UTC)),
    ],
)
def test_per_day_quota_is_exhausted_until_next_pacific_midnight(
    now: datetime, midnight: datetime
) -> None:
    observation = parse_gemini_429_body(body(quota_failure(PER_DAY), retry_info("38s")), now)
    assert observation is not None
    assert observation.readings == (LimitReading("requests_per_day", 250, 0, midnight),)
    assert observation.retry_after_s == 38.0
    assert observation.binding() == observation.readings[0]


def test_token_quotas_are_named_by_unit_and_window() -> None:
    observation = parse_gemini_429_body(
        body(quota_failure(TOKENS_PER_MINUTE, PAID_TOKENS, "GenerateTokensPerDay", value=1000000)),
        NOW,
    )
    assert observation is not None
    assert [(r.dimension, r.limit) for r in observation.readings] == [
        ("input_tokens_per_minute", 1000000),
        ("tokens_per_day", 1000000),
    ]
    assert observation.readings[0].resets_at is None  # no retry delay known
    assert observation.retry_after_s is None


@pytest.mark.parametrize(
    ("details", "message", "retry"),
    [
        ([retry_info({"seconds": "26", "nanos": 500000000})], "", 26.5),
        ([retry_info({"seconds": 3})], "", 3.0),
        ([], "Please retry in 47.434392449s.", 47.434392449),
        ([], "please retry in 250ms", 0.25),
        (
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "QUOTA_EXHAUSTED",
                    "metadata": {"quotaResetDelay": "2.463586755s"},
                }
            ],
            "",
            2.463586755,
        ),
        (
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "metadata": {"quotaResetTimeStamp": "2026-01-15T12:01:30Z"},
                }
            ],
            "",
            90.0,
        ),
        (
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "metadata": {"quotaResetTimeStamp": "2026-01-15T11:00:00Z"},
                }
            ],
            "",
            0.0,
        ),
        ([retry_info("10s"), retry_info("99s")], "retry in 5s", 10.0),  # first RetryInfo wins
        (
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "metadata": {"quotaResetDelay": "3s"},
                },
                retry_info("12s"),
            ],
            "retry in 5s",
            12.0,
        ),
    ],
)
def test_retry_delay_sources(details: list[dict[str, Any]], message: str, retry: float) -> None:
    observation = parse_gemini_429_body(body(*details, message=message), NOW)
    assert observation is not None
    assert observation.retry_after_s == pytest.approx(retry)


def test_list_wrapped_body_from_streaming_endpoint() -> None:
    observation = parse_gemini_429_body(json.dumps([body(retry_info("7s"))]), NOW)
    assert observation is not None
    assert observation.retry_after_s == 7.0


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xfe not json",
        "<html>429 Too Many Requests</html>",
        "[]",
        "null",
        json.dumps({"error": "quota"}),
        json.dumps({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad"}}),
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
        json.dumps({"error": {"details": ["x", 1, {"@type": 5}], "status": 7}}),
        pytest.param("[" * 100000, id="deep-nesting"),  # must not escape as RecursionError
    ],
)
def test_bodies_without_rate_limit_information_give_none(payload: object) -> None:
    assert parse_gemini_429_body(payload, NOW) is None  # type: ignore[arg-type]


def test_resource_exhausted_without_details_still_says_so() -> None:
    observation = parse_gemini_429_body(body(), NOW)
    assert observation == RateLimitObservation((), None, "RESOURCE_EXHAUSTED", "body")


@pytest.mark.parametrize(
    ("details", "where"),
    [
        ([retry_info("soon")], "RetryInfo.retryDelay"),
        ([retry_info({"seconds": -4})], "RetryInfo.retryDelay"),
        ([retry_info({"seconds": "x"})], "RetryInfo.retryDelay"),
        ([retry_info(12)], "RetryInfo.retryDelay"),
        (
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "metadata": {"quotaResetTimeStamp": "yesterday"},
                }
            ],
            "ErrorInfo.quotaResetTimeStamp",
        ),
    ],
)
def test_garbled_delays_are_logged_and_ignored(
    details: list[dict[str, Any]], where: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="symphony.windows.headers"):
        observation = parse_gemini_429_body(body(quota_failure(PER_DAY), *details), NOW)
    assert observation is not None
    assert observation.retry_after_s is None
    assert observation.readings[0].dimension == "requests_per_day"
    assert any(where in r.getMessage() for r in caplog.records)


def test_unknown_quota_ids_and_odd_values_are_skipped_or_left_out() -> None:
    observation = parse_gemini_429_body(
        body(
            quota_failure("SomethingElse", value="1"),
            quota_failure(PER_MINUTE, value=[1]),
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "metadata": "none"},
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": {"x": 1}},
        ),
        NOW,
    )
    assert observation == RateLimitObservation(
        (LimitReading("requests_per_minute", None, 0, None),), None, "RESOURCE_EXHAUSTED", "body"
    )


def test_per_day_reset_beyond_the_calendar_is_left_unknown() -> None:
    end = datetime.max.replace(tzinfo=UTC)
    observation = parse_gemini_429_body(body(quota_failure(PER_DAY)), end)
    assert observation is not None
    assert observation.readings == (LimitReading("requests_per_day", 250, 0, None),)
