"""Ticketing on GitHub issues: markers in hidden HTML comments make creates and comments
reconcilable, so a retry after a lost answer finds the issue instead of filing another."""

from __future__ import annotations

from typing import Any

from symphony.integrations.base import TicketDraft, TicketRef
from symphony.integrations.github.client import GitHubClient

RECENT = 50  # how far back a retry looks for an issue an earlier attempt created


def marker_tag(marker: str) -> str:
    return f"<!-- symphony:{marker} -->"


def field_labels(fields: dict[str, str] | Any) -> list[str]:
    """GitHub issues have no custom fields: `severity: p1` becomes the label `severity:p1`."""
    return [f"{key}:{value}" for key, value in fields.items() if value]


class GitHubTicketing:
    vendor = "github"

    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def _ref(self, issue: dict[str, Any]) -> TicketRef:
        return TicketRef("github", str(issue["number"]), str(issue["html_url"]))

    async def find(self, marker: str) -> TicketRef | None:
        """The recent issue whose body carries this marker, if any."""
        tag = marker_tag(marker)
        for issue in await self.client.recent_issues(RECENT):
            if tag in (issue.get("body") or ""):
                return self._ref(issue)
        return None

    async def create(self, draft: TicketDraft) -> TicketRef:
        found = await self.find(draft.marker)
        if found is not None:
            return found
        labels = list(dict.fromkeys([*draft.labels, *field_labels(draft.fields)]))
        body = f"{draft.body.rstrip()}\n\n{marker_tag(draft.marker)}\n"
        issue = await self.client.create_issue(draft.title, body, labels)
        return self._ref(issue)

    async def comment(self, ref: TicketRef, text: str, marker: str) -> None:
        tag = marker_tag(marker)
        for existing in await self.client.comments(int(ref.id)):
            if tag in (existing.get("body") or ""):
                return
        await self.client.create_comment(int(ref.id), f"{text.rstrip()}\n\n{tag}\n")

    async def link(self, ref: TicketRef, other: TicketRef, title: str) -> None:
        """Append a line linking `other` to the issue body (once)."""
        issue = await self.client.get_issue(int(ref.id))
        body = issue.get("body") or ""
        if other.url in body:
            return
        line = f"**{title}:** [{other.id}]({other.url})"
        await self.client.update_issue(int(ref.id), {"body": f"{body.rstrip()}\n\n{line}\n"})

    async def close(self, ref: TicketRef, comment: str | None, marker: str) -> None:
        """Comment (once), then close as completed (PATCH is idempotent)."""
        if comment:
            await self.comment(ref, comment, marker)
        await self.client.update_issue(
            int(ref.id), {"state": "closed", "state_reason": "completed"}
        )

    async def reopen(self, ref: TicketRef, comment: str | None, marker: str) -> None:
        if comment:
            await self.comment(ref, comment, marker)
        await self.client.update_issue(int(ref.id), {"state": "open", "state_reason": "reopened"})
