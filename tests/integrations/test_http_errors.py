"""The shared request helper: status codes and transport failures as typed errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from symphony.clock import FixedClock
from symphony.integrations.base import IntegrationError
from symphony.integrations.http import error_text, retry_after, send

NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
URL = "https://vendor.test/api"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after({"retry-after": "7"}, NOW) == 7.0
    assert retry_after({"retry-after": "Sun, 22 Nov 2026 17:00:30 GMT"}, NOW) == 30.0
    assert retry_after({"retry-after": "Sun, 22 Nov 2026 16:00:00 GMT"}, NOW) == 0.0
    assert retry_after({"retry-after": "soon"}, NOW) is None
    assert retry_after({}, NOW) is None


def test_error_text_uses_the_vendors_words() -> None:
    def resp(status: int, **kw: object) -> httpx.Response:
        return httpx.Response(status, **kw)  # type: ignore[arg-type]

    assert error_text(resp(401, json={"message": "Bad credentials"})) == "Bad credentials"
    jira = {"errorMessages": ["Nope"], "errors": {"description": "Operation value must be"}}
    assert error_text(resp(400, json=jira)) == "Nope; description: Operation value must be"
    pd = {"status": "invalid event", "message": "Event object is invalid", "errors": ["x"]}
    assert error_text(resp(400, json=pd)) == "Event object is invalid; x"
    assert error_text(resp(400, text="invalid_payload")) == "invalid_payload"


async def call(method: str = "POST") -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await send(
            client, FixedClock(NOW), "vendor", "do it", method, URL, json_body={"a": 1}
        )


@pytest.mark.parametrize(
    ("status", "headers", "retryable", "wait"),
    [
        (500, {}, True, None),
        (503, {"retry-after": "12"}, True, 12.0),
        (429, {"retry-after": "3"}, True, 3.0),
        (429, {}, True, None),
        (400, {}, False, None),
        (404, {}, False, None),
        (422, {}, False, None),
    ],
)
@respx.mock
async def test_status_codes(
    status: int, headers: dict[str, str], retryable: bool, wait: float | None
) -> None:
    respx.post(URL).mock(return_value=httpx.Response(status, headers=headers, text="boom"))
    with pytest.raises(IntegrationError) as err:
        await call()
    assert err.value.status == status
    assert err.value.retryable is retryable
    assert err.value.retry_after_s == wait
    assert err.value.ambiguous is False
    assert str(err.value) == f"vendor do it (HTTP {status}): boom"


@respx.mock
async def test_a_timed_out_write_is_ambiguous_and_retryable() -> None:
    respx.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(IntegrationError) as err:
        await call()
    assert err.value.retryable
    assert err.value.ambiguous
    assert err.value.status is None


@respx.mock
async def test_a_refused_connection_was_never_sent() -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(IntegrationError) as err:
        await call()
    assert err.value.retryable
    assert not err.value.ambiguous


@respx.mock
async def test_github_rate_limit_headers_and_secondary_limits() -> None:
    clock = FixedClock(NOW)
    reset = str(int(NOW.timestamp()) + 42)
    respx.post(URL).mock(
        side_effect=[
            httpx.Response(
                403,
                json={"message": "API rate limit exceeded"},
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            ),
            httpx.Response(403, json={"message": "You have exceeded a secondary rate limit."}),
            httpx.Response(403, json={"message": "Resource not accessible by integration"}),
        ]
    )
    async with httpx.AsyncClient() as client:
        waits = []
        for _ in range(3):
            with pytest.raises(IntegrationError) as err:
                await send(client, clock, "github", "create issue", "POST", URL)
            waits.append((err.value.retryable, err.value.retry_after_s))
    assert waits == [(True, 42.0), (True, 60.0), (False, None)]
