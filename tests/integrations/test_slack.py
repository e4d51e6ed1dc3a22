"""Slack incoming webhook: 200 with plain-text `ok`, plain-text errors, 429 + Retry-After."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from symphony.clock import FixedClock
from symphony.integrations.base import ChatMessage, IntegrationError
from symphony.integrations.fake_http import Fault
from symphony.integrations.fakes import FakeStack
from symphony.integrations.registry import Integrations
from symphony.integrations.slack.client import SlackClient
from symphony.integrations.slack.config import SlackConfig
from symphony.integrations.slack.service import SlackChat, render

HOOK = "https://hooks.slack.com/services/T0/B0/abc"
MESSAGE = ChatMessage(
    text="SLO execute-latency burns 16x its budget <!channel>",
    title="[SLO] execute-latency (page)",
    fields={"p95": "7.2 s", "policy": "f8ef3092"},
    links=(("GitHub #7", "https://github.com/acme/tower/issues/7"),),
    status="firing",
)


@respx.mock
async def test_wire_format_and_plain_text_ok(clock: FixedClock) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    async with httpx.AsyncClient() as http:
        await SlackChat(SlackClient(SlackConfig(HOOK), http, clock)).post(MESSAGE)
    body = json.loads(route.calls.last.request.content)
    assert body["text"] == ":rotating_light: [SLO] execute-latency (page)"
    header, section, fields, context = body["blocks"]
    assert header["type"] == "header"
    assert header["text"]["type"] == "plain_text"
    assert "&lt;!channel&gt;" in section["text"]["text"]  # user text cannot ping the channel
    assert "<!channel>" not in json.dumps(body)
    assert fields["fields"][0] == {"type": "mrkdwn", "text": "*p95:* 7.2 s"}
    assert context["elements"][0]["text"] == "<https://github.com/acme/tower/issues/7|GitHub #7>"


@respx.mock
async def test_a_200_that_is_not_ok_is_an_error(clock: FixedClock) -> None:
    respx.post(HOOK).mock(return_value=httpx.Response(200, text="something else"))
    async with httpx.AsyncClient() as http:
        with pytest.raises(IntegrationError) as err:
            await SlackClient(SlackConfig(HOOK), http, clock).post({"text": "x"})
    assert "unexpected reply" in str(err.value)


async def test_errors_are_plain_text(integrations: Integrations, stack: FakeStack) -> None:
    slack = integrations.chat["slack"]
    await slack.post(MESSAGE)
    assert len(stack.slack.messages) == 1
    stack.slack.fail_next(Fault(status=429, body="rate_limited", headers={"retry-after": "7"}))
    with pytest.raises(IntegrationError) as err:
        await slack.post(MESSAGE)
    assert (err.value.status, err.value.retryable, err.value.retry_after_s) == (429, True, 7.0)
    stack.slack.archived = True
    with pytest.raises(IntegrationError) as err:
        await slack.post(MESSAGE)
    assert (err.value.status, err.value.message, err.value.retryable) == (
        410,
        "channel_is_archived",
        False,
    )


def test_render_keeps_slack_limits() -> None:
    long = ChatMessage(text="x" * 5000, title="t" * 400, status="resolved")
    body = render(long)
    assert len(body["blocks"][0]["text"]["text"]) == 150
    assert len(body["blocks"][1]["text"]["text"]) == 3000
    assert body["text"].startswith(":white_check_mark:")
