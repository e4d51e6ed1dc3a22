"""Run one outbox entry against the integrations (the only place that maps entries to calls)."""

from __future__ import annotations

from typing import Any

from symphony.integrations.base import (
    ChatMessage,
    IntegrationError,
    PageEvent,
    TicketDraft,
    TicketRef,
)
from symphony.integrations.registry import Integrations

TICKET_ACTIONS = ("create", "link", "comment", "close", "reopen")


def draft_to_dict(draft: TicketDraft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "body": draft.body,
        "marker": draft.marker,
        "labels": list(draft.labels),
        "fields": dict(draft.fields),
        "kind": draft.kind,
    }


def draft_from(data: dict[str, Any]) -> TicketDraft:
    return TicketDraft(
        title=data["title"],
        body=data["body"],
        marker=data["marker"],
        labels=tuple(data.get("labels", ())),
        fields=dict(data.get("fields", {})),
        kind=data.get("kind", "incident"),
    )


def message_to_dict(message: ChatMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "title": message.title,
        "fields": dict(message.fields),
        "links": [list(link) for link in message.links],
        "status": message.status,
    }


def page_to_dict(event: PageEvent) -> dict[str, Any]:
    return {
        "dedup_key": event.dedup_key,
        "summary": event.summary,
        "severity": event.severity,
        "source": event.source,
        "component": event.component,
        "details": dict(event.details),
        "links": [list(link) for link in event.links],
    }


def _ref(result: dict[str, Any] | None, vendor: str, role: str) -> TicketRef:
    if not result or "id" not in result:
        raise IntegrationError(vendor, role, f"the {role} this action needs has no ticket")
    return TicketRef(str(result["vendor"]), str(result["id"]), str(result["url"]))


class ActionRunner:
    def __init__(self, integrations: Integrations) -> None:
        self.integrations = integrations

    def _off(self, vendor: str, action: str) -> IntegrationError:
        why = next(
            (s.why_off for s in self.integrations.statuses if s.vendor == vendor), "unknown vendor"
        )
        return IntegrationError(vendor, action, f"{vendor} is off: {why}")

    async def run(
        self, vendor: str, action: str, payload: dict[str, Any], deps: dict[str, Any]
    ) -> dict[str, Any]:
        """Perform one action; return its result (a ticket ref, a dedup key, ...)."""
        tickets = self.integrations.tickets.get(vendor)
        if action in TICKET_ACTIONS:
            if tickets is None:
                raise self._off(vendor, action)
            if action == "create":
                return (await tickets.create(draft_from(payload["draft"]))).to_dict()
            ref = _ref(deps.get("ticket"), vendor, "ticket")
            if action == "link":
                other = _ref(deps.get("other"), vendor, "other ticket")
                await tickets.link(ref, other, str(payload.get("title", other.vendor)))
                return {"linked": other.url}
            if action == "comment":
                await tickets.comment(ref, payload["text"], payload["marker"])
                return {"commented": True}
            if action == "close":
                await tickets.close(ref, payload.get("comment"), payload["marker"])
                return {"state": "closed"}
            await tickets.reopen(ref, payload.get("comment"), payload["marker"])
            return {"state": "open"}
        if action == "post":
            chat = self.integrations.chat.get(vendor)
            if chat is None:
                raise self._off(vendor, action)
            await chat.post(
                ChatMessage(
                    text=payload["text"],
                    title=payload.get("title"),
                    fields=payload.get("fields", {}),
                    links=tuple((str(a), str(b)) for a, b in payload.get("links", [])),
                    status=payload.get("status", "info"),
                )
            )
            return {"posted": True}
        paging = self.integrations.paging.get(vendor)
        if paging is None:
            raise self._off(vendor, action)
        if action == "trigger":
            event = PageEvent(
                dedup_key=payload["dedup_key"],
                summary=payload["summary"],
                severity=payload["severity"],
                source=payload.get("source", "symphony"),
                component=payload.get("component"),
                details=payload.get("details", {}),
                links=tuple((str(a), str(b)) for a, b in payload.get("links", [])),
            )
            return {"dedup_key": await paging.trigger(event)}
        if action == "resolve":
            await paging.resolve(payload["dedup_key"])
            return {"resolved": payload["dedup_key"]}
        raise IntegrationError(vendor, action, f"unknown action {vendor}.{action}")
