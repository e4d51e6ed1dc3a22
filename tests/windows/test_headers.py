"""Rate-limit header parsing: every provider family with values from providers.md §1."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from multidict import CIMultiDict

from symphony.windows.headers import (
    LimitReading,
    RateLimitObservation,
    parse_rate_limit_headers,
    parse_retry_after,
)

NOW = datetime(2025, 10, 9, 8, 30, tzinfo=UTC)
LOGGER = "symphony.windows.headers"


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def readings(headers: dict[str, str]) -> dict[str, LimitReading]:
    observation = parse_rate_limit_headers(headers, NOW)
    assert observation is not None
    return {reading.dimension: reading for reading in observation.readings}


# --- header families -----------------------------------------------------------------


def test_openai_headers_give_requests_and_tokens_relative_to_now() -> None:
    got = readings(
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-remaining-tokens": "149984",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-reset-tokens": "6m0s",
        }
    )
    assert got == {
        "requests": LimitReading("requests", 60, 59, at(1)),
        "tokens": LimitReading("tokens", 150000, 149984, at(360)),
    }


def test_groq_fractional_durations_and_openai_usage_based_suffix() -> None:
    got = readings(
        {
            "x-ratelimit-reset-requests": "2m59.56s",
            "x-ratelimit-reset-tokens": "7.66s",
            "x-ratelimit-remaining-tokens_usage_based": "10",
            "x-ratelimit-reset-tokens_usage_based": "20ms",
            "retry-after": "8",
        }
    )
    assert got["requests"].resets_at == at(179.56)
    assert got["tokens"].resets_at == at(7.66)
    assert got["tokens_usage_based"] == LimitReading("tokens_usage_based", None, 10, at(0.02))


def test_mistral_minute_and_month_headers_are_named_per_period() -> None:
    got = readings(
        {
            "x-ratelimit-limit-req-minute": "720",
            "x-ratelimit-remaining-req-minute": "717",
            "x-ratelimit-limit-tokens-minute": "5000000",
            "x-ratelimit-remaining-tokens-minute": "4999911",
            "x-ratelimit-tokens-query-cost": "52",
            "x-ratelimit-limit-tokens-month": "1000000000",
            "x-ratelimit-reset-tokens-month": "86400",
        }
    )
    assert got == {
        "requests_per_minute": LimitReading("requests_per_minute", 720, 717, None),
        "tokens_per_minute": LimitReading("tokens_per_minute", 5000000, 4999911, None),
        "tokens_per_month": LimitReading("tokens_per_month", 1000000000, None, at(86400)),
    }


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("1760000460000", datetime(2025, 10, 9, 9, 1, tzinfo=UTC)),  # OpenRouter: epoch ms
        ("1760000460", datetime(2025, 10, 9, 9, 1, tzinfo=UTC)),  # epoch seconds
        ("42", at(42)),  # Together: delta seconds
        ("1m30s", at(90)),
    ],
)
def test_bare_x_ratelimit_triple_reads_any_reset_encoding(reset: str, expected: datetime) -> None:
    observation = parse_rate_limit_headers(
        {
            "X-RateLimit-Limit": "20",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "Retry-After": "60",
        },
        NOW,
    )
    assert observation == RateLimitObservation(
        (LimitReading("requests", 20, 0, expected),), retry_after_s=60.0
    )


def test_specific_requests_headers_win_over_the_bare_triple() -> None:
    got = readings({"x-ratelimit-remaining-requests": "5", "x-ratelimit-remaining": "9"})
    assert got == {"requests": LimitReading("requests", None, 5, None)}


def test_anthropic_api_headers_with_rfc3339_resets() -> None:
    observation = parse_rate_limit_headers(
        {
            "anthropic-ratelimit-requests-limit": "4000",
            "anthropic-ratelimit-requests-remaining": "3999",
            "anthropic-ratelimit-requests-reset": "2025-10-09T08:30:01Z",
            "anthropic-ratelimit-tokens-limit": "480000",
            "anthropic-ratelimit-tokens-remaining": "478000",
            "anthropic-ratelimit-tokens-reset": "2025-10-09T08:30:05Z",
            "anthropic-ratelimit-input-tokens-limit": "400000",
            "anthropic-ratelimit-input-tokens-remaining": "399000",
            "anthropic-ratelimit-input-tokens-reset": "2025-10-09T08:30:03Z",
            "anthropic-ratelimit-output-tokens-limit": "80000",
            "anthropic-ratelimit-output-tokens-remaining": "0",
            "anthropic-ratelimit-output-tokens-reset": "2025-10-09T08:31:00Z",
            "retry-after": "60",
        },
        NOW,
    )
    assert observation is not None
    got = {reading.dimension: reading for reading in observation.readings}
    assert got == {
        "requests": LimitReading("requests", 4000, 3999, at(1)),
        "tokens": LimitReading("tokens", 480000, 478000, at(5)),
        "input_tokens": LimitReading("input_tokens", 400000, 399000, at(3)),
        "output_tokens": LimitReading("output_tokens", 80000, 0, at(60)),
    }
    assert observation.retry_after_s == 60.0
    assert observation.binding() == got["output_tokens"]


def test_anthropic_unified_subscription_headers() -> None:
    observation = parse_rate_limit_headers(
        {
            "anthropic-ratelimit-unified-status": "rejected",
            "anthropic-ratelimit-unified-5h-utilization": "1.0",
            "anthropic-ratelimit-unified-5h-reset": "1760000400",
            "anthropic-ratelimit-unified-7d-utilization": "0.30",
            "anthropic-ratelimit-unified-7d-reset": "1760486400",
            "anthropic-ratelimit-unified-reset": "1760000400",
            "anthropic-ratelimit-unified-representative-claim": "five_hour",
            "retry-after": "7999",
        },
        NOW,
    )
    nine = datetime(2025, 10, 9, 9, 0, tzinfo=UTC)
    assert observation == RateLimitObservation(
        (
            LimitReading("unified_5h", None, None, nine, 1.0),
            LimitReading("unified_7d", None, None, datetime(2025, 10, 15, tzinfo=UTC), 0.30),
            LimitReading("unified", None, None, nine),
        ),
        retry_after_s=7999.0,
        status="rejected",
    )
    assert observation.binding() is not None
    assert observation.binding().dimension == "unified_5h"  # type: ignore[union-attr]


def test_unified_utilization_slightly_over_one_is_clamped() -> None:
    got = readings({"anthropic-ratelimit-unified-5h-utilization": "1.02"})
    assert got["unified_5h"].utilization == 1.0


def test_status_alone_is_still_an_observation() -> None:
    observation = parse_rate_limit_headers({"anthropic-ratelimit-unified-status": "allowed"}, NOW)
    assert observation == RateLimitObservation((), None, "allowed")


@pytest.mark.parametrize(
    ("policy", "service", "expected", "retry"),
    [
        (
            '"burst";q=100;w=60,"daily";q=1000;w=86400',
            '"burst";r=0;t=30, "daily";r=900;t=3600',
            [
                LimitReading("burst", 100, 0, at(30), None, 60),
                LimitReading("daily", 1000, 900, at(3600), None, 86400),
            ],
            30.0,
        ),
        (  # Cloudflare: one policy, one limit, different names
            '"burst";q=100;w=60',
            '"default";r=50;t=30',
            [LimitReading("burst", 100, 50, at(30), None, 60)],
            None,
        ),
        (
            '"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:',
            None,
            [LimitReading("peruser", 65535, None, None, None, 10)],
            None,
        ),
        (None, "default;r=0;t=12", [LimitReading("default", None, 0, at(12))], 12.0),
        (
            '"a";q=10, "b";q=20',
            '"a";r=0;t=5, "b";r=0;t=9',
            [LimitReading("a", 10, 0, at(5)), LimitReading("b", 20, 0, at(9))],
            9.0,
        ),
    ],
)
def test_ietf_structured_fields(
    policy: str | None, service: str | None, expected: list[LimitReading], retry: float | None
) -> None:
    headers = {"RateLimit-Policy": policy, "RateLimit": service}
    observation = parse_rate_limit_headers({k: v for k, v in headers.items() if v is not None}, NOW)
    assert observation == RateLimitObservation(tuple(expected), retry)


def test_retry_after_header_wins_over_ietf_t() -> None:
    observation = parse_rate_limit_headers(
        {"RateLimit": '"default";r=0;t=30', "Retry-After": "45"}, NOW
    )
    assert observation is not None
    assert observation.retry_after_s == 45.0


def test_repeated_ratelimit_field_lines_are_one_list() -> None:
    headers = CIMultiDict(
        [("RateLimit", '"burst";r=0;t=30'), ("ratelimit", '"daily";r=900;t=3600')]
    )
    got = parse_rate_limit_headers(headers, NOW)
    assert got is not None
    assert [r.dimension for r in got.readings] == ["burst", "daily"]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("100", LimitReading("requests", 100, 3, at(17))),
        ("100, 100;w=60", LimitReading("requests", 100, 3, at(17), None, 60)),
        ("10, 10;w=1, 50;w=60", LimitReading("requests", 10, 3, at(17), None, 1)),
    ],
)
def test_old_draft_ratelimit_triple(limit: str, expected: LimitReading) -> None:
    got = readings({"RateLimit-Limit": limit, "RateLimit-Remaining": "3", "RateLimit-Reset": "17"})
    assert got == {"requests": expected}


def test_old_draft_limit_alone() -> None:
    assert readings({"RateLimit-Limit": "100"}) == {
        "requests": LimitReading("requests", 100, None, None)
    }


@pytest.mark.parametrize(
    "headers",
    [
        httpx.Headers({"X-RateLimit-Remaining-Tokens": "5", "x-ratelimit-limit-tokens": "9"}),
        CIMultiDict([("X-RATELIMIT-REMAINING-TOKENS", "5"), ("X-RateLimit-Limit-Tokens", "9")]),
        {"X-Ratelimit-Remaining-Tokens": "5", "X-Ratelimit-Limit-Tokens": "9"},
        {b"x-ratelimit-remaining-tokens": b"5", "x-ratelimit-limit-tokens": "9"},
    ],
)
def test_header_names_are_case_insensitive_for_every_mapping_type(headers: object) -> None:
    observation = parse_rate_limit_headers(headers, NOW)  # type: ignore[arg-type]
    assert observation == RateLimitObservation((LimitReading("tokens", 9, 5, None),), None)


@pytest.mark.parametrize(
    "headers",
    [{}, {"content-type": "application/json", "x-request-id": "abc"}, None, 42],
)
def test_no_rate_limit_information_gives_none(headers: object) -> None:
    assert parse_rate_limit_headers(headers, NOW) is None  # type: ignore[arg-type]


# --- retry-after -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "60"}, 60.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"Retry-After": "Thu, 09 Oct 2025 08:32:00 GMT"}, 120.0),
        ({"Retry-After": "Thu, 09 Oct 2025 08:00:00 GMT"}, 0.0),  # already past: go now
        ({"retry-after-ms": "1500", "retry-after": "2"}, 1.5),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
        ({"retry-after-ms": "0"}, 0.0),
        ({"content-type": "text/plain"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers, NOW) == seconds


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("retry-after", "-5"),
        ("retry-after", "tomorrow"),
        ("retry-after", "999999999999"),
        ("retry-after-ms", "-1"),
    ],
)
def test_bad_retry_after_is_logged_and_ignored(
    header: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert parse_retry_after({header: value}, NOW) is None
    assert [r.name for r in caplog.records] == [LOGGER]
    assert header in caplog.records[0].getMessage()


# --- garbled values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-ratelimit-remaining-requests", "-1"),  # Azure's -1
        ("x-ratelimit-limit-requests", "lots"),
        ("x-ratelimit-reset-tokens", "6 minutes"),
        ("anthropic-ratelimit-tokens-reset", "2025-02-30T00:00:00Z"),
        ("anthropic-ratelimit-unified-5h-utilization", "37.0"),  # a percentage, not 0-1
        ("anthropic-ratelimit-unified-7d-utilization", "-0.1"),
        ("anthropic-ratelimit-unified-reset", "whenever"),
        ("ratelimit-policy", '"burst";w=60'),  # q is required
        ("ratelimit-policy", '"burst";q=10;w=0'),
        ("ratelimit", '"burst";t=5'),  # r is required
        ("ratelimit", '"burst";r=1;t=-5'),
        ("ratelimit-limit", "many"),
        ("ratelimit-remaining", "x"),
    ],
)
def test_garbled_value_is_logged_by_name_and_the_rest_still_parses(
    header: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {header: value, "x-ratelimit-remaining-tokens": "7", "authorization": "Bearer s3"}
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        observation = parse_rate_limit_headers(headers, NOW)
    assert observation is not None
    assert LimitReading("tokens", None, 7, None) in observation.readings
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert messages
    assert all(header in m for m in messages)
    assert not any("authorization" in m or "s3" in m or "remaining-tokens" in m for m in messages)


def test_all_garbled_family_yields_no_reading(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        observation = parse_rate_limit_headers(
            {"x-ratelimit-limit-requests": "?", "x-ratelimit-remaining-requests": "-3"}, NOW
        )
    assert observation is None
    assert len(caplog.records) == 2


def test_empty_suffix_is_not_a_dimension() -> None:
    assert parse_rate_limit_headers({"x-ratelimit-limit--": "5"}, NOW) is None


# --- edges of the value parsers --------------------------------------------------------


def test_structured_field_strings_unescape_and_empty_params_are_skipped() -> None:
    got = readings({"RateLimit-Policy": r'"a\"b;c,d";q=5;;=3;w=9'})
    assert got == {'a"b;c,d': LimitReading('a"b;c,d', 5, None, None, None, 9)}


def test_non_text_header_values_are_skipped() -> None:
    headers: dict[object, object] = {"x-ratelimit-limit-tokens": 5, 7: "9", "retry-after": "3"}
    observation = parse_rate_limit_headers(headers, NOW)  # type: ignore[arg-type]
    assert observation == RateLimitObservation((), 3.0)
