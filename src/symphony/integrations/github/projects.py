"""GitHub Projects (v2) over the GraphQL API: find a project by owner and number, add an
issue to it, read and set an item's single-select Status field.

GraphQL answers HTTP 200 even when a query fails: the failure is an `errors` array
(`{"message", "type", "path"}`) beside a partial `data`. `GraphQLError` makes that a typed
`IntegrationError` (status 200, the first messages and types), never a silent None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from symphony.clock import Clock
from symphony.integrations.base import IntegrationError
from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.http import send

STATUS_FIELD = "Status"

PROJECT_QUERY = """
query($owner: String!, $number: Int!) {
  repositoryOwner(login: $owner) {
    ... on ProjectV2Owner {
      projectV2(number: $number) {
        id
        title
        fields(first: 50) {
          nodes {
            ... on ProjectV2SingleSelectField { id name options { id name } }
          }
        }
      }
    }
  }
}
"""

ADD_ITEM = """
mutation($project: ID!, $content: ID!) {
  addProjectV2ItemById(input: {projectId: $project, contentId: $content}) { item { id } }
}
"""

ITEM_STATUS = """
query($item: ID!, $field: String!) {
  node(id: $item) {
    ... on ProjectV2Item {
      id
      updatedAt
      fieldValueByName(name: $field) {
        ... on ProjectV2ItemFieldSingleSelectValue { name optionId updatedAt }
      }
    }
  }
}
"""

SET_STATUS = """
mutation($project: ID!, $item: ID!, $field: ID!, $option: String!) {
  updateProjectV2ItemFieldValue(
    input: {projectId: $project, itemId: $item, fieldId: $field,
            value: {singleSelectOptionId: $option}}
  ) { projectV2Item { id updatedAt } }
}
"""


class GraphQLError(IntegrationError):
    """A GraphQL answer with an `errors` array (HTTP 200) or without the data asked for."""

    def __init__(self, operation: str, errors: list[dict[str, Any]]) -> None:
        text = "; ".join(
            f"{e.get('type', 'ERROR')}: {e.get('message', e)}" if isinstance(e, dict) else str(e)
            for e in errors[:3]
        )
        kinds = {e.get("type") for e in errors if isinstance(e, dict)}
        super().__init__(
            "github",
            operation,
            text or "no data",
            status=200,
            retryable="RATE_LIMITED" in kinds,
            retry_after_s=60.0 if "RATE_LIMITED" in kinds else None,
        )
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """A project's node id and its Status field: field id and option ids by name."""

    id: str
    title: str
    status_field: str
    options: dict[str, str]  # option name -> option id


@dataclass(frozen=True, slots=True)
class ItemStatus:
    item_id: str
    status: str | None  # the option's name; None while unset
    updated_at: str | None  # when the Status value (else the item) last changed, ISO 8601


def graphql_url(api_url: str) -> str:
    """https://api.github.com/graphql; GitHub Enterprise: https://HOST/api/graphql."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return f"{base}/graphql"


def parse_project(owner: str, number: int, data: dict[str, Any]) -> ProjectInfo:
    project = ((data.get("repositoryOwner") or {}).get("projectV2")) or None
    if project is None:
        raise GraphQLError(
            "find project", [{"type": "NOT_FOUND", "message": f"no project {owner}/{number}"}]
        )
    for node in (project.get("fields") or {}).get("nodes") or []:
        if isinstance(node, dict) and node.get("name") == STATUS_FIELD and "options" in node:
            options = {str(o["name"]): str(o["id"]) for o in node["options"]}
            return ProjectInfo(
                str(project["id"]), str(project.get("title", "")), node["id"], options
            )
    raise GraphQLError(
        "find project",
        [
            {
                "type": "NOT_FOUND",
                "message": f"project {owner}/{number} has no single-select field '{STATUS_FIELD}'",
            }
        ],
    )


class GitHubProjects:
    """One GraphQL POST per call, with the same token as the REST client."""

    def __init__(self, config: GitHubConfig, http: httpx.AsyncClient, clock: Clock) -> None:
        if not config.token:
            raise ValueError("GitHub Projects need GITHUB_TOKEN")
        self.url = graphql_url(config.api_url)
        self.http = http
        self.clock = clock
        self._headers = {
            "Authorization": f"Bearer {config.token}",
            "Accept": "application/json",
            "User-Agent": "symphony-control-tower",
        }

    async def query(self, operation: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST the query; its `data`, or GraphQLError if the answer carries `errors`."""
        response = await send(
            self.http,
            self.clock,
            "github",
            operation,
            "POST",
            self.url,
            expect=(200,),
            headers=self._headers,
            json_body={"query": query, "variables": variables},
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise IntegrationError(
                "github", operation, "the answer is not JSON", status=200
            ) from exc
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            raise GraphQLError(operation, list(errors))
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise GraphQLError(operation, [])
        return data

    async def project(self, owner: str, number: int) -> ProjectInfo:
        data = await self.query("find project", PROJECT_QUERY, {"owner": owner, "number": number})
        return parse_project(owner, number, data)

    async def add_item(self, project_id: str, content_id: str) -> str:
        """Add an issue (by node id) to the project; GitHub returns the existing item if the
        issue is there already, so this is idempotent. The item's id."""
        data = await self.query(
            "add project item", ADD_ITEM, {"project": project_id, "content": content_id}
        )
        item = ((data.get("addProjectV2ItemById") or {}).get("item")) or {}
        if not item.get("id"):
            raise GraphQLError("add project item", [{"message": "no item in the answer"}])
        return str(item["id"])

    async def item_status(self, item_id: str) -> ItemStatus:
        data = await self.query(
            "read item status", ITEM_STATUS, {"item": item_id, "field": STATUS_FIELD}
        )
        node = data.get("node")
        if not isinstance(node, dict) or not node.get("id"):
            raise GraphQLError(
                "read item status", [{"type": "NOT_FOUND", "message": f"no item {item_id}"}]
            )
        value = node.get("fieldValueByName") or {}
        return ItemStatus(
            str(node["id"]), value.get("name"), value.get("updatedAt") or node.get("updatedAt")
        )

    async def set_status(self, project: ProjectInfo, item_id: str, status: str) -> None:
        option = project.options.get(status)
        if option is None:
            raise GraphQLError(
                "set item status",
                [
                    {
                        "type": "NOT_FOUND",
                        "message": f"the Status field has no option '{status}'"
                        f" (has: {', '.join(project.options)})",
                    }
                ],
            )
        await self.query(
            "set item status",
            SET_STATUS,
            {
                "project": project.id,
                "item": item_id,
                "field": project.status_field,
                "option": option,
            },
        )
