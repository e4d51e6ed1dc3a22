"""An in-process Jira Cloud speaking REST v3 for issues, JQL search, transitions, remote
links and comments, with Jira's error bodies (`errorMessages` + `errors`), the ADF check on
`description`, and a workflow whose transition ids are not the standard ones."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from symphony.integrations.fake_http import FakeRequest, FakeResponse, FakeVendor
from symphony.integrations.jira.adf import is_adf

ADF_ERROR = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
SYSTEM_FIELDS = {
    "project",
    "issuetype",
    "summary",
    "description",
    "labels",
    "priority",
    "components",
}
_ISSUE = re.compile(r"/rest/api/3/issue/([A-Z][A-Z0-9]*-\d+)(/transitions|/remotelink|/comment)?$")
_JQL = re.compile(r'^project = "([^"]+)" AND labels = "([^"]+)"$')


def _error(
    status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None
) -> FakeResponse:
    return FakeResponse(status, {"errorMessages": messages or [], "errors": errors or {}})


@dataclass(slots=True)
class Status:
    name: str
    category: str  # new | indeterminate | done


@dataclass(slots=True)
class FakeJiraIssue:
    id: str
    key: str
    fields: dict[str, Any]
    status: Status
    remote_links: dict[str, dict[str, Any]] = field(default_factory=dict)  # by globalId
    comments: list[dict[str, Any]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # transition names applied
    links: list[tuple[str, str, bool]] = field(default_factory=list)  # (type, key, outward)
    updated: str = ""  # Jira's format: 2026-12-01T20:00:00.000+0000


class FakeJira(FakeVendor):
    vendor = "jira"

    def __init__(
        self,
        email: str = "bot@example.com",
        token: str = "jira-token",
        projects: tuple[str, ...] = ("SYM",),
        issue_types: tuple[str, ...] = ("Incident", "Epic", "Task", "Bug"),
        custom_fields: tuple[str, ...] = (),
        transitions: tuple[tuple[str, str, str, str], ...] = (
            ("11", "To Do", "To Do", "new"),
            ("21", "Start work", "In Progress", "indeterminate"),
            ("31", "Done", "Done", "done"),
        ),
        site: str = "https://acme.atlassian.net",
    ) -> None:
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.projects = projects
        self.issue_types = issue_types
        self.allowed = SYSTEM_FIELDS | set(custom_fields)
        self.workflow = transitions  # (id, transition name, target status, category)
        self.site = site
        self.issues: dict[str, FakeJiraIssue] = {}
        self.link_types = ("Relates", "Blocks", "Duplicate")
        self.now: Callable[[], str] = jira_now  # what `fields.updated` says after a change

    def route(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("authorization") != self.auth:
            return _error(401, ["Client must be authenticated to access this resource."])
        path = request.path
        if path.endswith("/rest/api/3/issue") and request.method == "POST":
            return self._create(request.json())
        if path.endswith("/rest/api/3/search/jql") and request.method == "POST":
            return self._search(request.json())
        if path.endswith("/rest/api/3/issueLink") and request.method == "POST":
            return self._issue_link(request.json())
        if path.endswith("/rest/api/3/search"):
            return _error(410, ["The requested API has been removed. Use /rest/api/3/search/jql."])
        match = _ISSUE.search(path)
        if match is None:
            return _error(404, ["Not found"])
        issue = self.issues.get(match.group(1))
        if issue is None:
            return _error(404, ["Issue does not exist or you do not have permission to see it."])
        sub = match.group(2)
        if sub is None and request.method == "GET":
            return FakeResponse(200, self._issue_json(issue))
        if sub == "/transitions":
            return self._transitions(request, issue)
        if sub == "/remotelink" and request.method == "POST":
            return self._remote_link(request.json(), issue)
        if sub == "/comment":
            return self._comment(request, issue)
        return _error(405, ["Method not allowed"])

    def _issue_json(self, issue: FakeJiraIssue) -> dict[str, Any]:
        status = {"name": issue.status.name, "statusCategory": {"key": issue.status.category}}
        links = [
            {"type": {"name": kind}, ("outwardIssue" if out else "inwardIssue"): {"key": key}}
            for kind, key, out in issue.links
        ]
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.site}/rest/api/3/issue/{issue.id}",
            "fields": {
                **issue.fields,
                "status": status,
                "issuelinks": links,
                "updated": issue.updated,
            },
        }

    def _issue_link(self, body: Any) -> FakeResponse:
        kind = ((body or {}).get("type") or {}).get("name")
        outward = self.issues.get(((body or {}).get("outwardIssue") or {}).get("key", ""))
        inward = self.issues.get(((body or {}).get("inwardIssue") or {}).get("key", ""))
        if kind not in self.link_types:
            return _error(404, [f"No issue link type with name '{kind}' found."])
        if outward is None or inward is None:
            return _error(404, ["Issue does not exist or you do not have permission to see it."])
        outward.links.append((kind, inward.key, True))
        inward.links.append((kind, outward.key, False))
        return FakeResponse(201, b"")

    def _create(self, body: Any) -> FakeResponse:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return _error(400, ["Request body is missing fields"])
        errors: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            errors["project"] = "valid project is required"
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "Specify a valid issue type"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if "description" in fields and not is_adf(fields["description"]):
            errors["description"] = ADF_ERROR
        for name in fields:
            if name not in self.allowed:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen,"
                    " or unknown."
                )
        for item in fields.get("labels") or []:
            if not isinstance(item, str) or " " in item:
                errors["labels"] = f"The label '{item}' contains spaces which is invalid."
        if errors:
            return _error(400, errors=errors)
        number = sum(1 for k in self.issues if k.startswith(f"{project}-")) + 1
        key = f"{project}-{number}"
        issue_id = str(10000 + len(self.issues) + 1)
        first = self.workflow[0]
        self.issues[key] = FakeJiraIssue(
            issue_id, key, dict(fields), Status(first[2], first[3]), updated=self.now()
        )
        return FakeResponse(
            201, {"id": issue_id, "key": key, "self": f"{self.site}/rest/api/3/issue/{issue_id}"}
        )

    def _search(self, body: Any) -> FakeResponse:
        jql = str((body or {}).get("jql", ""))
        match = _JQL.match(jql)
        if match is None:
            return _error(
                400, [f"Error in the JQL Query: the fake understands only {_JQL.pattern}"]
            )
        found = [
            {"id": i.id, "key": i.key, "fields": {}}
            for i in self.issues.values()
            if i.key.startswith(f"{match.group(1)}-")
            and match.group(2) in i.fields.get("labels", [])
        ]
        limit = int((body or {}).get("maxResults", 50))
        return FakeResponse(200, {"issues": found[:limit], "isLast": True})

    def _transitions(self, request: FakeRequest, issue: FakeJiraIssue) -> FakeResponse:
        if request.method == "GET":
            items = [
                {
                    "id": tid,
                    "name": name,
                    "to": {"name": target, "statusCategory": {"key": category}},
                }
                for tid, name, target, category in self.workflow
                if target != issue.status.name
            ]
            return FakeResponse(200, {"transitions": items})
        body = request.json() or {}
        tid = str((body.get("transition") or {}).get("id"))
        match = next((t for t in self.workflow if t[0] == tid and t[2] != issue.status.name), None)
        if match is None:
            return _error(400, [f"Transition id '{tid}' is not valid for this issue."])
        for change in (body.get("update") or {}).get("comment") or []:
            comment_body = (change.get("add") or {}).get("body")
            if not is_adf(comment_body):
                return _error(400, errors={"comment": ADF_ERROR})
            issue.comments.append({"id": str(len(issue.comments) + 1), "body": comment_body})
        issue.status = Status(match[2], match[3])
        issue.history.append(match[1])
        issue.updated = self.now()
        return FakeResponse(204, b"")

    def _remote_link(self, body: Any, issue: FakeJiraIssue) -> FakeResponse:
        obj = (body or {}).get("object") or {}
        if not obj.get("url") or not obj.get("title"):
            return _error(400, errors={"object": "object.url and object.title are required"})
        global_id = body.get("globalId")
        existing = global_id is not None and global_id in issue.remote_links
        key = global_id or f"auto-{len(issue.remote_links) + 1}"
        link_id = issue.remote_links.get(key, {}).get("id", len(issue.remote_links) + 1)
        issue.remote_links[key] = {**body, "id": link_id}
        self_url = f"{self.site}/rest/api/3/issue/{issue.key}/remotelink/{link_id}"
        return FakeResponse(200 if existing else 201, {"id": link_id, "self": self_url})

    def _comment(self, request: FakeRequest, issue: FakeJiraIssue) -> FakeResponse:
        if request.method == "GET":
            return FakeResponse(
                200, {"comments": issue.comments, "total": len(issue.comments), "startAt": 0}
            )
        body = request.json() or {}
        if not is_adf(body.get("body")):
            return _error(400, errors={"comment": ADF_ERROR})
        comment = {
            "id": str(20000 + len(issue.comments) + 1),
            "body": body["body"],
            "properties": body.get("properties") or [],
        }
        issue.comments.append(comment)
        return FakeResponse(201, comment)


def jira_now() -> str:
    """The wall clock in Jira's timestamp format."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
