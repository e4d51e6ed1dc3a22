"""Jira Cloud REST v3 wire calls (basic auth with email + API token)."""

from __future__ import annotations

from typing import Any

import httpx

from symphony.clock import Clock
from symphony.integrations.http import send
from symphony.integrations.jira.config import JiraConfig

API = "/rest/api/3"


class JiraClient:
    def __init__(self, config: JiraConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if not config.enabled:
            raise ValueError(f"Jira is off: {config.why_off}")
        self.config = config
        self.http = http
        self.clock = clock
        self._auth = httpx.BasicAuth(config.email or "", config.api_token or "")
        self._headers = {"Accept": "application/json", "User-Agent": "symphony-control-tower"}

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str | int] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        return await send(
            self.http,
            self.clock,
            "jira",
            operation,
            method,
            f"{self.config.base_url}{API}{path}",
            expect=expect,
            headers=self._headers,
            json_body=json_body,
            params=params,
            auth=self._auth,
        )

    async def create_issue(self, fields: dict[str, Any]) -> dict[str, Any]:
        """POST /rest/api/3/issue -> {id, key, self}."""
        response = await self._call(
            "create issue", "POST", "/issue", json_body={"fields": fields}, expect=(201,)
        )
        result: dict[str, Any] = response.json()
        return result

    async def search(self, jql: str, max_results: int = 5) -> list[dict[str, Any]]:
        """POST /rest/api/3/search/jql (the legacy /search was removed from Cloud)."""
        body = {"jql": jql, "fields": ["status", "summary"], "maxResults": max_results}
        response = await self._call("search", "POST", "/search/jql", json_body=body)
        issues: list[dict[str, Any]] = response.json().get("issues", [])
        return issues

    async def get_issue(self, key: str, fields: str = "status") -> dict[str, Any]:
        response = await self._call("get issue", "GET", f"/issue/{key}", params={"fields": fields})
        result: dict[str, Any] = response.json()
        return result

    async def transitions(self, key: str) -> list[dict[str, Any]]:
        """The transitions available from the issue's current status."""
        response = await self._call("list transitions", "GET", f"/issue/{key}/transitions")
        items: list[dict[str, Any]] = response.json().get("transitions", [])
        return items

    async def transition(
        self, key: str, transition_id: str, comment: dict[str, Any] | None = None
    ) -> None:
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if comment is not None:
            body["update"] = {"comment": [{"add": {"body": comment}}]}
        await self._call(
            "transition", "POST", f"/issue/{key}/transitions", json_body=body, expect=(204,)
        )

    async def status(self, key: str) -> tuple[str, str, str | None]:
        """GET the issue's fields.status and fields.updated: (status name, status category
        key: new | indeterminate | done, updated as Jira writes it or None)."""
        fields = (await self.get_issue(key, "status,updated")).get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key", "")
        return str(status.get("name", "")), str(category), fields.get("updated")

    async def transition_to(self, key: str, status: str) -> bool:
        """Move the issue to `status` through the transition whose target it is (GET, then
        POST /transitions); False when no transition from the current status leads there."""
        for item in await self.transitions(key):
            if (item.get("to") or {}).get("name") == status:
                await self.transition(key, str(item["id"]))
                return True
        return False

    async def remote_link(self, key: str, link: dict[str, Any]) -> dict[str, Any]:
        """Create or update (by globalId) a remote link on the issue."""
        response = await self._call(
            "remote link", "POST", f"/issue/{key}/remotelink", json_body=link, expect=(200, 201)
        )
        result: dict[str, Any] = response.json()
        return result

    async def issue_link(self, link_type: str, outward: str, inward: str) -> None:
        """POST /rest/api/3/issueLink: `outward` relates to `inward`."""
        body = {
            "type": {"name": link_type},
            "outwardIssue": {"key": outward},
            "inwardIssue": {"key": inward},
        }
        await self._call("issue link", "POST", "/issueLink", json_body=body, expect=(201,))

    async def comments(self, key: str) -> list[dict[str, Any]]:
        response = await self._call(
            "list comments",
            "GET",
            f"/issue/{key}/comment",
            params={"expand": "properties", "maxResults": 100},
        )
        items: list[dict[str, Any]] = response.json().get("comments", [])
        return items

    async def add_comment(
        self, key: str, body: dict[str, Any], properties: list[dict[str, Any]]
    ) -> dict[str, Any]:
        response = await self._call(
            "comment",
            "POST",
            f"/issue/{key}/comment",
            json_body={"body": body, "properties": properties},
            expect=(201,),
        )
        result: dict[str, Any] = response.json()
        return result
