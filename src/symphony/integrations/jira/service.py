"""Ticketing on Jira Cloud: fields mapped per the parity file, a marker label for
reconciliation (the way Alertmanager's Jira notifier dedupes), transitions by name."""

from __future__ import annotations

import re
from typing import Any

from symphony.integrations.base import IntegrationError, TicketDraft, TicketRef
from symphony.integrations.jira.adf import to_adf
from symphony.integrations.jira.client import JiraClient
from symphony.integrations.jira.config import JiraConfig, JiraProject

MARKER_PROPERTY = "symphony.marker"
ISSUE_LINK_TYPE = "Relates"  # present in every Jira Cloud site by default
_CUSTOM = re.compile(r"^customfield_\d+$")


def label(text: str) -> str:
    """Jira labels cannot hold spaces."""
    return re.sub(r"\s+", "-", text.strip())


def marker_label(marker: str) -> str:
    return label(f"symphony-{marker}")


def map_fields(project: JiraProject, draft: TicketDraft) -> dict[str, Any]:
    """Jira `fields` for a draft, following the parity mappings (target <- source).

    Targets: summary, description (ADF), labels, priority ({name}), components or component
    ([{name}]), customfield_NNNNN ({value}: a select list). Any other target, such as the
    seed's `severity`, is not a Jira system field and becomes a label `severity-p1`."""
    sources: dict[str, Any] = {"title": draft.title, "body": draft.body}
    sources.update(draft.fields)
    labels = [label(x) for x in draft.labels]
    fields: dict[str, Any] = {
        "project": {"key": project.project_key},
        "issuetype": {"name": project.epic_type if draft.kind == "epic" else project.issue_type},
        "summary": draft.title[:255],
    }
    for target, source in project.mappings:
        if source == "labels":
            value: Any = list(draft.labels)
        else:
            value = sources.get(source)
        if value in (None, "", []):
            continue
        if target == "summary":
            fields["summary"] = str(value)[:255]
        elif target == "description":
            fields["description"] = to_adf(str(value))
        elif target == "labels":
            labels.extend(label(str(v)) for v in (value if isinstance(value, list) else [value]))
        elif target == "priority":
            fields["priority"] = {"name": str(value)}
        elif target in ("components", "component"):
            fields["components"] = [{"name": str(value)}]
        elif _CUSTOM.match(target):
            fields[target] = {"value": str(value)}
        else:
            labels.append(label(f"{target}-{value}"))
    fields.setdefault("description", to_adf(draft.body))
    labels.append(marker_label(draft.marker))
    fields["labels"] = list(dict.fromkeys(labels))
    return fields


class JiraTicketing:
    vendor = "jira"

    def __init__(self, client: JiraClient, config: JiraConfig, project: JiraProject) -> None:
        self.client = client
        self.config = config
        self.project = project

    def _ref(self, key: str) -> TicketRef:
        return TicketRef("jira", key, self.config.browse_url(key))

    async def find(self, marker: str) -> TicketRef | None:
        jql = f'project = "{self.project.project_key}" AND labels = "{marker_label(marker)}"'
        issues = await self.client.search(jql, max_results=1)
        return self._ref(str(issues[0]["key"])) if issues else None

    async def create(self, draft: TicketDraft) -> TicketRef:
        found = await self.find(draft.marker)
        if found is not None:
            return found
        created = await self.client.create_issue(map_fields(self.project, draft))
        return self._ref(str(created["key"]))

    async def comment(self, ref: TicketRef, text: str, marker: str) -> None:
        for existing in await self.client.comments(ref.id):
            for prop in existing.get("properties") or []:
                if prop.get("key") == MARKER_PROPERTY and prop.get("value") == {"marker": marker}:
                    return
        properties = [{"key": MARKER_PROPERTY, "value": {"marker": marker}}]
        await self.client.add_comment(ref.id, to_adf(text), properties)

    async def link(self, ref: TicketRef, other: TicketRef, title: str) -> None:
        """Another Jira issue: an issue link ("Relates", once). Anything else: a remote link
        upserted by globalId (so a retry updates it instead of adding a second one)."""
        if other.vendor == "jira":
            issue = await self.client.get_issue(ref.id, fields="issuelinks")
            for existing in (issue.get("fields") or {}).get("issuelinks") or []:
                linked = existing.get("outwardIssue") or existing.get("inwardIssue") or {}
                if linked.get("key") == other.id:
                    return
            await self.client.issue_link(ISSUE_LINK_TYPE, ref.id, other.id)
            return
        app = (
            {"type": "com.github", "name": "GitHub"}
            if other.vendor == "github"
            else {"type": "symphony", "name": other.vendor}
        )
        await self.client.remote_link(
            ref.id,
            {
                "globalId": f"symphony:{other.vendor}:{other.url}"[:255],
                "application": app,
                "relationship": "tracked in",
                "object": {"url": other.url, "title": f"{title} {other.id}"[:255]},
            },
        )

    async def _done(self, key: str) -> bool:
        issue = await self.client.get_issue(key)
        status = (issue.get("fields") or {}).get("status") or {}
        return bool((status.get("statusCategory") or {}).get("key") == "done")

    async def _transition(self, ref: TicketRef, name: str, comment: str | None) -> None:
        available = await self.client.transitions(ref.id)
        wanted = name.strip().casefold()
        match = next((t for t in available if str(t.get("name", "")).casefold() == wanted), None)
        if match is None:
            names = ", ".join(repr(str(t.get("name"))) for t in available) or "none"
            raise IntegrationError(
                "jira",
                "transition",
                f"{ref.id} has no transition named {name!r} from its current status"
                f" (available: {names}); set jira.close_transition / reopen_transition"
                " in the parity file",
            )
        await self.client.transition(ref.id, str(match["id"]), to_adf(comment) if comment else None)

    async def close(self, ref: TicketRef, comment: str | None, marker: str) -> None:
        """Move the issue through the transition named in the parity file (default Done)."""
        if await self._done(ref.id):
            return
        await self._transition(ref, self.project.close_transition, comment)

    async def reopen(self, ref: TicketRef, comment: str | None, marker: str) -> None:
        if not await self._done(ref.id):
            return
        await self._transition(ref, self.project.reopen_transition, comment)
