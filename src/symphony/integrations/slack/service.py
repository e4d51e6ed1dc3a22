"""Chat on Slack: Block Kit with a plain `text` fallback, untrusted text escaped."""

from __future__ import annotations

from typing import Any

from symphony.integrations.base import ChatMessage
from symphony.integrations.slack.client import SlackClient

ICONS = {"firing": ":rotating_light:", "resolved": ":white_check_mark:", "info": ":memo:"}
MAX_SECTION = 3000
MAX_HEADER = 150


def escape(text: str) -> str:
    """Slack's three control characters; `<!channel>` in user text must not ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(message: ChatMessage) -> dict[str, Any]:
    """The webhook payload: `text` (the notification fallback) plus blocks."""
    title = message.title or message.text.splitlines()[0]
    icon = ICONS[message.status]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{title}"[:MAX_HEADER], "emoji": True},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{icon} {escape(message.text)}"[:MAX_SECTION]},
        },
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{escape(k)}:* {escape(v)}"[:2000]}
        for k, v in list(message.fields.items())[:10]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if message.links:
        links = " · ".join(f"<{url}|{escape(label)}>" for label, url in message.links)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    return {"text": f"{icon} {escape(title)}", "blocks": blocks}


class SlackChat:
    vendor = "slack"

    def __init__(self, client: SlackClient) -> None:
        self.client = client

    async def post(self, message: ChatMessage) -> None:
        await self.client.post(render(message))
