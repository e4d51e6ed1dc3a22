"""An in-process PagerDuty Events API v2: 202 `{status, message, dedup_key}`, 400 `invalid
event` with `errors`, alerts keyed by (routing_key, dedup_key): a resolve with another
routing key is dropped, as PagerDuty drops it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from symphony.integrations.fake_http import FakeRequest, FakeResponse, FakeVendor

SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")


def _invalid(*errors: str) -> FakeResponse:
    return FakeResponse(
        400,
        {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)},
    )


class FakePagerDuty(FakeVendor):
    vendor = "pagerduty"

    def __init__(self, routing_keys: tuple[str, ...] = ("R0UT1NGKEY0000000000000000000001",)):
        super().__init__()
        self.routing_keys = routing_keys
        self.events: list[dict[str, Any]] = []
        self.alerts: dict[tuple[str, str], str] = {}  # (routing_key, dedup_key) -> status

    def route(self, request: FakeRequest) -> FakeResponse:
        if request.method != "POST" or not request.path.endswith("/v2/enqueue"):
            return FakeResponse(404, {"status": "not found"})
        try:
            body = json.loads(request.body or b"")
        except ValueError:
            return FakeResponse(400, {"status": "invalid event", "message": "Invalid JSON"})
        errors = []
        key = body.get("routing_key")
        if key not in self.routing_keys:
            errors.append("'routing_key' is invalid")
        action = body.get("event_action")
        if action not in ACTIONS:
            errors.append("'event_action' is invalid")
        dedup = body.get("dedup_key")
        if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
            errors.append("'dedup_key' must be at most 255 characters")
        if action == "trigger":
            payload = body.get("payload") or {}
            if not payload.get("summary") or len(str(payload["summary"])) > 1024:
                errors.append("'payload.summary' is missing or longer than 1024 characters")
            if not payload.get("source"):
                errors.append("'payload.source' is missing")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' is invalid")
        elif dedup is None and action in ("acknowledge", "resolve"):
            errors.append("'dedup_key' is required for acknowledge and resolve")
        if errors:
            return _invalid(*errors)
        dedup = dedup or uuid.uuid4().hex
        self.events.append(body)
        state = self.alerts.get((key, dedup))
        if action == "trigger":
            self.alerts[(key, dedup)] = "triggered"
        elif state is not None and state != "resolved":  # else dropped, as PagerDuty does
            self.alerts[(key, dedup)] = "resolved" if action == "resolve" else "acknowledged"
        return FakeResponse(
            202, {"status": "success", "message": "Event processed", "dedup_key": dedup}
        )
