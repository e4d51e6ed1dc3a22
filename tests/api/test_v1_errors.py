"""Every error under /v1 is OpenAI-shaped ({"error": {message, type, param, code}}), whoever
answers it (router, body limit, auth layer, route); everywhere else Symphony's shape stays."""

from __future__ import annotations

from typing import Any

import pytest

from symphony.api.errors import Problem, dialect_of, error_body

OPENAI_KEYS = {"message", "type", "param", "code"}
BIG = 2 * 1024 * 1024 + 1


def openai_error(response: Any, status: int, type_: str, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == OPENAI_KEYS
    assert (error["type"], error["code"]) == (type_, code)
    return error


async def test_unknown_v1_path_is_an_openai_404(harness: Any) -> None:
    r = await harness.client.get("/v1/embeddings-not-here")
    error = openai_error(r, 404, "invalid_request_error", "not_found")
    assert error["param"] is None


async def test_wrong_method_on_v1_is_an_openai_405(harness: Any) -> None:
    r = await harness.client.get("/v1/chat/completions")
    openai_error(r, 405, "invalid_request_error", "method_not_allowed")


async def test_oversized_v1_body_is_an_openai_413(harness: Any) -> None:
    r = await harness.client.post(
        "/v1/chat/completions", content=b"x" * BIG, headers={"content-type": "application/json"}
    )
    error = openai_error(r, 413, "invalid_request_error", "payload_too_large")
    assert "2097152 bytes" in error["message"]


async def test_streamed_oversized_v1_body_is_a_413_not_a_500(harness: Any) -> None:
    """No content-length: the limit trips while the hot path reads the body."""

    async def chunks() -> Any:
        for _ in range(3):
            yield b"a" * (1024 * 1024)

    r = await harness.client.post(
        "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}
    )
    openai_error(r, 413, "invalid_request_error", "payload_too_large")


async def test_symphony_paths_keep_their_exact_error_bodies(harness: Any) -> None:
    r = await harness.client.get("/nope")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    r = await harness.client.get("/v1x")  # not under /v1
    assert r.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    r = await harness.client.get("/route/plan")
    assert r.status_code == 405
    assert r.json() == {"error": {"code": "method_not_allowed", "message": "Method Not Allowed"}}
    r = await harness.client.post(
        "/route/plan", content=b"x" * BIG, headers={"content-type": "application/json"}
    )
    assert r.json() == {
        "error": {"code": "payload_too_large", "message": "request body exceeds 2097152 bytes"}
    }


def test_the_renderer_speaks_both_dialects() -> None:
    problem = Problem(
        422,
        "validation_error",
        "body.task: too short",
        fields=({"path": "body.task", "message": "too short", "type": "string_too_short"},),
        extra={"retry_after_s": 1.5},
        context={"policy_version": "v"},
    )
    assert error_body(problem, "symphony") == {
        "error": {
            "code": "validation_error",
            "message": "body.task: too short",
            "fields": [{"path": "body.task", "message": "too short", "type": "string_too_short"}],
            "retry_after_s": 1.5,
        },
        "policy_version": "v",
    }
    assert error_body(problem, "openai") == {
        "error": {
            "message": "body.task: too short",
            "type": "invalid_request_error",
            "param": "body.task",
            "code": "validation_error",
            "retry_after_s": 1.5,
        }
    }
    assert error_body(Problem(502, "all_candidates_failed", "x"), "openai")["error"]["type"] == (
        "api_error"
    )


@pytest.mark.parametrize(
    ("path", "dialect"),
    [("/v1", "openai"), ("/v1/models", "openai"), ("/v1x", "symphony"), ("/models", "symphony")],
)
def test_the_dialect_follows_the_path(path: str, dialect: str) -> None:
    assert dialect_of(path) == dialect


@pytest.mark.parametrize("path", ["/v1/embeddings", "/v1/models/acme/none"])
async def test_new_v1_routes_answer_openai_errors(harness: Any, path: str) -> None:
    if path == "/v1/embeddings":
        r = await harness.client.post(path, json={"model": "auto", "input": []})
        error = openai_error(r, 400, "invalid_request_error", "invalid_request")
        assert error["param"] == "input"
        r = await harness.client.post(
            path, content=b"x" * BIG, headers={"content-type": "application/json"}
        )
        openai_error(r, 413, "invalid_request_error", "payload_too_large")
    else:
        r = await harness.client.get(path)
        error = openai_error(r, 404, "invalid_request_error", "model_not_found")
        assert "acme/none" in error["message"]


async def test_v1_messages_answers_anthropic_errors_whoever_answers(harness: Any) -> None:
    r = await harness.client.post(
        "/v1/messages", content=b"x" * BIG, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json() == {
        "type": "error",
        "error": {"type": "request_too_large", "message": "request body exceeds 2097152 bytes"},
    }
    r = await harness.client.post("/v1/messages/count_tokens", json={})
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "not_found_error"
    assert dialect_of("/v1/messages") == "anthropic"
    assert dialect_of("/v1/messagesx") == "openai"
