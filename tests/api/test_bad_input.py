"""Bad input everywhere: 422 with field paths, 413 for oversized bodies, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

QA: dict[str, Any] = {"task": "qa", "input": "hello", "loa": 1}


def fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    return {f["path"]: f["message"] for f in error["fields"]}


@pytest.mark.parametrize(
    ("body", "path", "fragment"),
    [
        ({**QA, "colour": "blue"}, "body.colour", "Extra inputs are not permitted"),
        ({**QA, "overrides": {"speed": 3}}, "body.overrides.speed", "Extra inputs"),
        ({**QA, "loa": "high"}, "body.loa", "valid integer"),
        ({**QA, "overrides": {"streaming": "maybe"}}, "body.overrides.streaming", "boolean"),
        ({"input": "no task"}, "body.task", "Field required"),
        ({**QA, "task": "has spaces"}, "body.task", "pattern"),
        (
            {**QA, "overrides": {"temperature": 1.8}},
            "body.overrides.temperature",
            "between 0.0 and 1.5",
        ),
        (
            {**QA, "overrides": {"provider_hints": ["anthropic", "acme-ai"]}},
            "body.overrides.provider_hints[1]",
            "unknown provider hint 'acme-ai'",
        ),
        (
            {**QA, "overrides": {"tools_allowed": ["shell"]}},
            "body.overrides.tools_allowed[0]",
            "unknown tool 'shell'",
        ),
    ],
)
async def test_invalid_plan_body_names_the_field(
    harness: Any, body: dict[str, Any], path: str, fragment: str
) -> None:
    found = fields(await harness.client.post("/route/plan", json=body))
    assert path in found, found
    assert fragment in found[path]


async def test_policy_bound_and_schema_errors_share_one_shape(harness: Any) -> None:
    # 1.8 passes the schema but not the policy (max 1.5); both report error.fields[].
    policy = (
        await harness.client.post("/route/plan", json={**QA, "overrides": {"temperature": 1.8}})
    ).json()
    schema = (await harness.client.post("/route/plan", json={**QA, "loa": "x"})).json()
    assert set(policy["error"]) == set(schema["error"]) == {"code", "message", "fields"}
    assert policy["error"]["message"].startswith("body.overrides.temperature:")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"task": "qa",', "malformed JSON at character"),
        (b"{'task': 'qa'}", "malformed JSON"),
        (b"not json at all", "malformed JSON"),
    ],
)
async def test_malformed_json_is_422_on_the_body(harness: Any, raw: bytes, fragment: str) -> None:
    response = await harness.client.post(
        "/route/plan", content=raw, headers={"content-type": "application/json"}
    )
    found = fields(response)
    assert fragment in found["body"]


async def test_json_array_body_is_422(harness: Any) -> None:
    response = await harness.client.post(
        "/route/plan", content=b"[1, 2]", headers={"content-type": "application/json"}
    )
    assert "body" in fields(response)


async def test_body_over_2_mb_is_413_json(harness: Any) -> None:
    body = b'{"task": "qa", "input": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = await harness.client.post(
        "/route/plan", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "2097152 bytes" in error["message"]


async def test_streamed_body_over_the_limit_is_413(harness: Any) -> None:
    async def chunks() -> Any:
        for _ in range(3):
            yield b"a" * (1024 * 1024)

    response = await harness.client.post(
        "/route/plan", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_body_just_under_the_limit_is_read(harness: Any) -> None:
    body = {**QA, "input": "a" * 1_400_000}
    response = await harness.client.post("/route/plan", json=body)
    assert response.status_code in (200, 409)  # planned: huge inputs deny small models


async def test_observation_needs_an_offset(harness: Any) -> None:
    response = await harness.client.post(
        "/windows/anthropic/claude-pro/observe", json={"resets_at": "2026-11-22T20:00:00"}
    )
    assert fields(response) == {"body.resets_at": "needs a UTC offset (e.g. 2026-11-22T20:00:00Z)"}


async def test_bad_last_event_id_is_422(harness: Any) -> None:
    response = await harness.client.get("/events", headers={"Last-Event-ID": "abc"})
    assert "header.Last-Event-ID" in fields(response)


async def test_unknown_path_and_method_are_json(harness: Any) -> None:
    missing = await harness.client.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await harness.client.delete("/route/plan")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
