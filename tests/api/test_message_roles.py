"""An unknown message role is refused naming the role given and the ones allowed."""

from __future__ import annotations

from typing import Any

ROBOT = [{"role": "robot", "content": "hi"}]


async def test_route_execute_names_the_role_and_the_allowed_ones(harness: Any) -> None:
    body = {"task": "qa", "messages": ROBOT, "loa": 1}
    response = await harness.client.post("/route/execute", json=body)
    assert response.status_code == 422, response.text
    (field,) = response.json()["error"]["fields"]
    assert field == {
        "path": "body.messages[0].role",
        "message": "Input should be 'system', 'user' or 'assistant', got 'robot'",
        "type": "literal_error",
    }


async def test_openai_face_names_it_in_openai_shape(harness: Any) -> None:
    response = await harness.client.post(
        "/v1/chat/completions", json={"model": "auto", "messages": ROBOT}
    )
    assert response.status_code == 400  # what OpenAI answers
    error = response.json()["error"]
    assert error["param"] == "messages[0].role"
    assert error["message"].endswith("'assistant' or 'tool', got 'robot'")


async def test_anthropic_face_names_it_too(harness: Any) -> None:
    response = await harness.client.post(
        "/v1/messages",
        headers={"anthropic-version": "2023-06-01"},
        json={"model": "auto", "max_tokens": 10, "messages": ROBOT},
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message == "messages[0].role: Input should be 'user' or 'assistant', got 'robot'"
