"""Capabilities of outside systems Symphony files tickets in and notifies (Dispatch-style).

Contract for every implementation:
* Methods are async and raise only `IntegrationError` (typed: vendor, operation, HTTP
  status, whether a retry may help, how long the vendor asked us to wait, and whether the
  request may have been applied although we saw no answer).
* Creating things is reconcilable: `Ticketing.create` first looks for a ticket carrying
  the draft's `marker` and returns it instead of creating a second one, so a retry after a
  timeout or a restart never doubles a ticket. Comments carry a marker the same way.
* `link`, `close`, `reopen`, `Paging.trigger` and `Paging.resolve` are idempotent.
* `Chat.post` is at-least-once: an incoming webhook cannot be asked whether a message
  arrived, so a retry after a lost answer may post twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Vendor = Literal["github", "jira", "slack", "pagerduty"]
VENDORS: tuple[Vendor, ...] = ("github", "jira", "slack", "pagerduty")
PageSeverity = Literal["critical", "error", "warning", "info"]


class IntegrationError(Exception):
    """An outbound call failed; says who, what, and whether and when to try again."""

    def __init__(
        self,
        vendor: str,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after_s: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        where = f"{vendor} {operation}"
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{where}{code}: {message}")
        self.vendor = vendor
        self.operation = operation
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.ambiguous = ambiguous  # the vendor may have applied it (timeout, reset)


@dataclass(frozen=True, slots=True)
class TicketRef:
    vendor: str
    id: str  # GitHub issue number, Jira key
    url: str  # where a person opens it

    def to_dict(self) -> dict[str, str]:
        return {"vendor": self.vendor, "id": self.id, "url": self.url}


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """A ticket to file. `body` is plain text with blank-line paragraphs, `# ` headings,
    `- ` bullets and ``` fences; each vendor renders it (Markdown, Atlassian Document)."""

    title: str
    body: str
    marker: str  # unique per ticket: how a retry finds what an earlier attempt created
    labels: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)  # severity, component, ...
    kind: Literal["incident", "epic"] = "incident"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    text: str  # the fallback text notifications show
    title: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    status: Literal["firing", "resolved", "info"] = "info"


@dataclass(frozen=True, slots=True)
class PageEvent:
    dedup_key: str  # the same key resolves what it triggered
    summary: str
    severity: PageSeverity
    source: str = "symphony"
    component: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    links: tuple[tuple[str, str], ...] = ()


@runtime_checkable
class Ticketing(Protocol):
    vendor: str

    async def create(self, draft: TicketDraft) -> TicketRef:
        """Return the ticket carrying `draft.marker`, creating it only if none exists."""
        ...

    async def find(self, marker: str) -> TicketRef | None: ...

    async def comment(self, ref: TicketRef, text: str, marker: str) -> None:
        """Add a comment unless one with this marker is already there."""
        ...

    async def link(self, ref: TicketRef, other: TicketRef, title: str) -> None:
        """Make `ref` point at `other` (idempotent)."""
        ...

    async def close(self, ref: TicketRef, comment: str | None, marker: str) -> None: ...

    async def reopen(self, ref: TicketRef, comment: str | None, marker: str) -> None: ...


@runtime_checkable
class Chat(Protocol):
    vendor: str

    async def post(self, message: ChatMessage) -> None: ...


@runtime_checkable
class Paging(Protocol):
    vendor: str

    async def trigger(self, event: PageEvent) -> str:
        """Open (or update) the alert for `event.dedup_key`; return the key."""
        ...

    async def resolve(self, dedup_key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class IntegrationStatus:
    """Whether an integration is on, and if not, why (shown by health and the console)."""

    vendor: str
    enabled: bool
    why_off: str | None = None
    target: str | None = None  # repo, site, or host: never a secret

    def to_dict(self) -> dict[str, object]:
        return {
            "vendor": self.vendor,
            "enabled": self.enabled,
            "why_off": self.why_off,
            "target": self.target,
        }
