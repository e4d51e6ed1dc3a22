"""POST /windows/{model}/observe refuses observations that could change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def iso(at: Any) -> str:
    return str(at.isoformat().replace("+00:00", "Z"))


async def test_remaining_without_resets_at_is_refused_naming_the_field(harness: Any) -> None:
    response = await harness.client.post("/windows/xai/grok/observe", json={"remaining": 3})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith("body.resets_at: is required with remaining")
    assert error["fields"][0]["path"] == "body.resets_at"
    assert harness.state.windows.learned.get("xai/grok") is None


async def test_a_reset_in_the_past_is_refused(harness: Any) -> None:
    now = harness.state.clock.now()
    body = {"resets_at": iso(now - timedelta(minutes=1)), "remaining": 3}
    response = await harness.client.post("/windows/xai/grok/observe", json=body)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert message == f"body.resets_at: is in the past (now is {iso(now)}): give the next reset"


async def test_a_reset_alone_or_a_cap_alone_is_still_an_observation(harness: Any) -> None:
    now = harness.state.clock.now()
    body = {"resets_at": iso(now + timedelta(hours=1))}
    assert (await harness.client.post("/windows/xai/grok/observe", json=body)).status_code == 200
    response = await harness.client.post("/windows/deepseek/api/observe", json={"cap": 10})
    assert response.status_code == 200, response.text
