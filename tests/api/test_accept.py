"""Content negotiation between one JSON document and Server-Sent Events (api/accept.py)."""

from __future__ import annotations

import pytest

from symphony.api.accept import prefers_json


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "Application/JSON; charset=utf-8",
        "application/json, text/event-stream;q=0.5",
        "application/*",
        "text/event-stream;q=0, */*",
        "application/json, */*;q=0.1",
    ],
)
def test_json_when_json_ranks_above_the_stream(accept: str) -> None:
    assert prefers_json(accept)


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "text/event-stream",
        "application/json, text/event-stream",  # a tie keeps the stream that was asked for
        "application/json;q=0.5, text/event-stream",
        "text/*",
        "text/html",
        "application/json;q=oops",
    ],
)
def test_the_stream_otherwise(accept: str | None) -> None:
    assert not prefers_json(accept)
