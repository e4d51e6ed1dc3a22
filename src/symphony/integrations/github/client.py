"""GitHub REST wire calls for issues and comments (one request each, typed errors)."""

from __future__ import annotations

from typing import Any

import httpx

from symphony.clock import Clock
from symphony.integrations.github.config import API_VERSION, GitHubConfig
from symphony.integrations.http import send


class GitHubClient:
    def __init__(self, config: GitHubConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if not config.enabled:
            raise ValueError(f"GitHub is off: {config.why_off}")
        self.config = config
        self.http = http
        self.clock = clock
        self._headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {config.token}",
            "User-Agent": "symphony-control-tower",
        }

    def _repo_url(self, path: str = "") -> str:
        return f"{self.config.api_url}/repos/{self.config.repo}{path}"

    async def _call(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: dict[str, str | int] | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        response = await send(
            self.http,
            self.clock,
            "github",
            operation,
            method,
            url,
            expect=expect,
            headers=self._headers,
            json_body=json_body,
            params=params,
        )
        return response.json()

    async def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        """POST /repos/{owner}/{repo}/issues."""
        payload = {"title": title, "body": body, "labels": labels}
        result: dict[str, Any] = await self._call(
            "create issue", "POST", self._repo_url("/issues"), json_body=payload, expect=(201,)
        )
        return result

    async def get_issue(self, number: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "get issue", "GET", self._repo_url(f"/issues/{number}")
        )
        return result

    async def update_issue(self, number: int, fields: dict[str, Any]) -> dict[str, Any]:
        """PATCH /repos/{owner}/{repo}/issues/{number} (state, state_reason, body, ...)."""
        result: dict[str, Any] = await self._call(
            "update issue", "PATCH", self._repo_url(f"/issues/{number}"), json_body=fields
        )
        return result

    async def recent_issues(self, per_page: int = 50) -> list[dict[str, Any]]:
        """The most recently created issues, open or closed (pull requests filtered out)."""
        params: dict[str, str | int] = {
            "state": "all",
            "sort": "created",
            "direction": "desc",
            "per_page": per_page,
        }
        items = await self._call("list issues", "GET", self._repo_url("/issues"), params=params)
        return [i for i in items if "pull_request" not in i]

    async def comments(self, number: int, per_page: int = 100) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = await self._call(
            "list comments",
            "GET",
            self._repo_url(f"/issues/{number}/comments"),
            params={"per_page": per_page},
        )
        return items

    async def create_comment(self, number: int, body: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "comment",
            "POST",
            self._repo_url(f"/issues/{number}/comments"),
            json_body={"body": body},
            expect=(201,),
        )
        return result
