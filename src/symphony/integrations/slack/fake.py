"""An in-process Slack incoming webhook: `ok` on success, Slack's plain-text error codes
(`invalid_payload`, `no_text`, `invalid_blocks`, ...) otherwise, 429 with Retry-After."""

from __future__ import annotations

import json
from typing import Any

from symphony.integrations.fake_http import FakeRequest, FakeResponse, FakeVendor

MAX_BLOCKS = 50


class FakeSlack(FakeVendor):
    vendor = "slack"

    def __init__(self, path: str = "/services/T000/B000/XXXXXXXX") -> None:
        super().__init__()
        self.path = path
        self.messages: list[dict[str, Any]] = []
        self.archived = False

    @property
    def url_path(self) -> str:
        return self.path

    def route(self, request: FakeRequest) -> FakeResponse:
        if request.method != "POST" or not request.path.endswith(self.path):
            return FakeResponse(404, "no_service")
        if self.archived:
            return FakeResponse(410, "channel_is_archived")
        try:
            body = json.loads(request.body or b"")
        except ValueError:
            return FakeResponse(400, "invalid_payload")
        if not isinstance(body, dict):
            return FakeResponse(400, "invalid_payload")
        blocks = body.get("blocks")
        if not body.get("text") and not blocks:
            return FakeResponse(400, "no_text")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS):
            return FakeResponse(400, "invalid_blocks")
        for block in blocks or []:
            if block.get("type") == "header" and len(block["text"]["text"]) > 150:
                return FakeResponse(400, "invalid_blocks")
        self.messages.append(body)
        return FakeResponse(200, "ok")
