"""Roadmap items stay in sync: each roadmap item's GitHub issue is an item of a GitHub
Project (v2), and the epic's Jira status and the item's Status field are mirrored both ways
(`roadmap_status.decide`). A scheduler calls `run()`; each item's project item id and the
statuses after its last sync are kept in the incident (`artifacts.roadmap_sync`, in the
incident store), so a restart resumes where it stopped and a repeat run writes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from symphony.incidents.model import Incident, iso, parse_iso
from symphony.incidents.roadmap_status import Decision, Mark, Side, StatusMap, decide
from symphony.incidents.service import IncidentService
from symphony.incidents.store import IncidentStore
from symphony.integrations.base import IntegrationError
from symphony.integrations.github.client import GitHubClient
from symphony.integrations.github.projects import GitHubProjects, ProjectInfo
from symphony.integrations.jira.client import JiraClient

log = logging.getLogger(__name__)
ARTIFACT = "roadmap_sync"


def parse_time(text: str | None) -> datetime | None:
    """GitHub's `2026-12-01T20:00:00Z` or Jira's `2026-12-01T20:00:00.000+0000`."""
    if not text:
        return None
    value = text.replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"  # +0000 -> +00:00
    try:
        return parse_iso(value)
    except ValueError:
        return None


@dataclass(slots=True)
class SyncReport:
    synced: list[str] = field(default_factory=list)  # incident ids whose sides were changed
    conflicts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: int = 0  # items without both tickets yet


def parse_project_ref(ref: str) -> tuple[str, int]:
    """`owner/number` -> (owner, number)."""
    owner, sep, number = ref.partition("/")
    if not sep or not owner or not number.isdigit():
        raise ValueError(f"GitHub project '{ref}' is not owner/number")
    return owner, int(number)


class RoadmapSync:
    def __init__(
        self,
        incidents: IncidentService,
        projects: GitHubProjects,
        github: GitHubClient,
        jira: JiraClient,
        project_ref: str,
        statuses: StatusMap,
    ) -> None:
        self.incidents = incidents
        self.projects = projects
        self.github = github
        self.jira = jira
        self.owner, self.number = parse_project_ref(project_ref)
        self.statuses = statuses
        self._project: ProjectInfo | None = None

    async def project(self) -> ProjectInfo:
        if self._project is None:
            self._project = await self.projects.project(self.owner, self.number)
        return self._project

    async def run(self) -> SyncReport:
        """Sync every roadmap item that has both its Jira epic and its GitHub issue."""
        report = SyncReport()
        for incident in self.incidents.incidents(roadmap=True):
            jira = incident.tickets.get("jira")
            issue = incident.tickets.get("github")
            if jira is None or issue is None:
                report.skipped += 1
                continue
            try:
                changed, conflict = await self._sync(incident, jira["id"], int(issue["id"]))
            except IntegrationError as exc:
                report.failed[incident.id] = str(exc)
                await self._failed(incident, str(exc))
                continue
            if changed:
                report.synced.append(incident.id)
            if conflict:
                report.conflicts.append(incident.id)
        return report

    async def _sync(self, incident: Incident, key: str, number: int) -> tuple[bool, bool]:
        state: dict[str, Any] = dict(incident.artifacts.get(ARTIFACT) or {})
        project = await self.project()
        item = state.get("item")
        if not item or state.get("project") != project.id:
            node_id = str((await self.github.get_issue(number))["node_id"])
            item = await self.projects.add_item(project.id, node_id)
        name, category, updated = await self.jira.status(key)
        current = await self.projects.item_status(item)
        mark = Mark(state["jira"], state.get("github")) if "jira" in state else None
        decision = decide(
            mark,
            Side(name, parse_time(updated), category),
            Side(current.status, parse_time(current.updated_at)),
            self.statuses,
        )
        jira_after, github_after = name, current.status
        if decision.action == "set_github" and decision.target is not None:
            await self.projects.set_status(project, item, decision.target)
            github_after = decision.target
        elif decision.action == "set_jira" and decision.target is not None:
            if not await self.jira.transition_to(key, decision.target):
                raise IntegrationError(
                    "jira", "transition", f"no transition from '{name}' to '{decision.target}'"
                )
            jira_after = decision.target
        new_state = {
            "project": project.id,
            "item": item,
            "jira_key": key,
            "issue": number,
            "jira": jira_after,
            "github": github_after,
        }
        unchanged = {k: v for k, v in state.items() if k not in ("at", "error")} == new_state
        if unchanged and decision.action == "none" and "error" not in state:
            return False, False
        await self._save(incident, new_state, decision, key, number)
        return decision.action != "none", decision.conflict

    async def _save(
        self, incident: Incident, state: dict[str, Any], decision: Decision, key: str, number: int
    ) -> None:
        now = self.incidents.clock.now()
        async with self.incidents.book.lock:
            incident.artifacts[ARTIFACT] = {**state, "at": iso(now)}
            if decision.conflict:
                incident.note(now, "roadmap.conflict", decision.reason, jira=key, github=number)
            elif decision.action != "none":
                side = "GitHub" if decision.action == "set_github" else "Jira"
                incident.note(
                    now,
                    "roadmap.synced",
                    f"{side} set to '{decision.target}': {decision.reason}",
                    jira=key,
                    github=number,
                )
            await self.incidents.store.write([IncidentStore.put_incident(incident)])

    async def _failed(self, incident: Incident, error: str) -> None:
        """Note a failure in the timeline once (not on every run while it lasts)."""
        state = dict(incident.artifacts.get(ARTIFACT) or {})
        if state.get("error") == error:
            return
        log.warning("roadmap sync of %s failed: %s", incident.id, error)
        now = self.incidents.clock.now()
        async with self.incidents.book.lock:
            incident.artifacts[ARTIFACT] = {**state, "error": error}
            incident.note(now, "roadmap.sync_failed", error)
            await self.incidents.store.write([IncidentStore.put_incident(incident)])
