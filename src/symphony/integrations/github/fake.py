"""An in-process GitHub that speaks the REST wire format for issues and comments.

Status codes and error bodies as GitHub documents them: 401 `Bad credentials`, 404
`Not Found`, 410 when issues are disabled, 422 `Validation Failed` with an `errors` list,
400 for an unsupported `X-GitHub-Api-Version`. Records every request it received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from symphony.integrations.fake_http import FakeRequest, FakeResponse, FakeVendor
from symphony.integrations.github.fake_projects import FakeProject

DOCS = "https://docs.github.com/rest"
SUPPORTED_VERSIONS = ("2022-11-28", "2026-03-10")
STATE_REASONS = {"closed": ("completed", "not_planned", None), "open": ("reopened", None)}
_ISSUES = re.compile(r"/repos/([^/]+)/([^/]+)/issues(?:/(\d+))?(/comments)?$")


def _error(status: int, message: str, **extra: Any) -> FakeResponse:
    return FakeResponse(
        status, {"message": message, "documentation_url": DOCS, "status": str(status), **extra}
    )


@dataclass(slots=True)
class FakeIssue:
    number: int
    title: str
    body: str
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = ""


class FakeGitHub(FakeVendor):
    vendor = "github"

    def __init__(
        self, token: str = "ghp_fake", repo: str = "acme/tower", issues_enabled: bool = True
    ) -> None:
        super().__init__()
        self.token = token
        self.repo = repo
        self.issues_enabled = issues_enabled
        self.issues: dict[int, FakeIssue] = {}
        self._comment_ids = 1000
        self.project = FakeProject(owner=repo.split("/")[0])  # Projects v2 over GraphQL

    def url(self, number: int) -> str:
        return f"https://github.com/{self.repo}/issues/{number}"

    def _json(self, issue: FakeIssue) -> dict[str, Any]:
        return {
            "id": 500_000 + issue.number,
            "node_id": f"I_fake{issue.number}",
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "labels": [{"name": name} for name in issue.labels],
            "state": issue.state,
            "state_reason": issue.state_reason,
            "comments": len(issue.comments),
            "html_url": self.url(issue.number),
            "url": f"https://api.github.com/repos/{self.repo}/issues/{issue.number}",
            "created_at": issue.created_at,
        }

    def route(self, request: FakeRequest) -> FakeResponse:
        auth = request.headers.get("authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return _error(401, "Bad credentials")
        if request.path.endswith("/graphql") and request.method == "POST":
            return self.project.handle(request, {f"I_fake{n}" for n in self.issues})
        version = request.headers.get("x-github-api-version")
        if version is not None and version not in SUPPORTED_VERSIONS:
            return _error(400, f"Unsupported 'X-GitHub-Api-Version' header: {version}")
        match = _ISSUES.search(request.path)
        if match is None or f"{match.group(1)}/{match.group(2)}" != self.repo:
            return _error(404, "Not Found")
        if not self.issues_enabled:
            return _error(410, "Issues are disabled for this repo")
        number = int(match.group(3)) if match.group(3) else None
        if number is None:
            return self._collection(request)
        issue = self.issues.get(number)
        if issue is None:
            return _error(404, "Not Found")
        if match.group(4):
            return self._comments(request, issue)
        if request.method == "GET":
            return FakeResponse(200, self._json(issue))
        if request.method == "PATCH":
            return self._update(request, issue)
        return _error(404, "Not Found")

    def _collection(self, request: FakeRequest) -> FakeResponse:
        if request.method == "GET":
            state = request.query.get("state", "open")
            items = [i for i in self.issues.values() if state in ("all", i.state)]
            items.sort(key=lambda i: i.number, reverse=request.query.get("direction") != "asc")
            per_page = int(request.query.get("per_page", "30"))
            return FakeResponse(200, [self._json(i) for i in items[:per_page]])
        if request.method != "POST":
            return _error(404, "Not Found")
        body = request.json()
        if not isinstance(body, dict) or not body.get("title"):
            return _error(
                422,
                "Validation Failed",
                errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}],
            )
        labels = body.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            return _error(
                422,
                "Validation Failed",
                errors=[{"resource": "Label", "code": "invalid", "field": "labels"}],
            )
        number = len(self.issues) + 1
        issue = FakeIssue(
            number,
            str(body["title"]),
            str(body.get("body") or ""),
            list(dict.fromkeys(labels)),
            created_at=_now(),
        )
        self.issues[number] = issue
        return FakeResponse(201, self._json(issue), {"location": self._json(issue)["url"]})

    def _update(self, request: FakeRequest, issue: FakeIssue) -> FakeResponse:
        body = request.json()
        state = body.get("state", issue.state)
        if state not in STATE_REASONS:
            return _error(422, "Validation Failed", errors=[{"field": "state", "code": "invalid"}])
        # GitHub ignores state_reason unless the state changes (github/docs#22914).
        if state != issue.state:
            reason = body.get("state_reason")
            if reason not in STATE_REASONS[state]:
                return _error(
                    422, "Validation Failed", errors=[{"field": "state_reason", "code": "invalid"}]
                )
            default = "completed" if state == "closed" else "reopened"
            issue.state, issue.state_reason = state, reason or default
        for key in ("title", "body"):
            if key in body:
                setattr(issue, key, str(body[key] or ""))
        if "labels" in body:
            issue.labels = list(body["labels"])
        return FakeResponse(200, self._json(issue))

    def _comments(self, request: FakeRequest, issue: FakeIssue) -> FakeResponse:
        if request.method == "GET":
            per_page = int(request.query.get("per_page", "30"))
            return FakeResponse(200, issue.comments[:per_page])
        text = (request.json() or {}).get("body")
        if not text:
            return _error(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
            )
        self._comment_ids += 1
        comment = {
            "id": self._comment_ids,
            "body": text,
            "html_url": f"{self.url(issue.number)}#issuecomment-{self._comment_ids}",
            "created_at": _now(),
        }
        issue.comments.append(comment)
        return FakeResponse(201, comment)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
