"""The GitHub fake's GraphQL endpoint for Projects (v2): the project by owner and number
with its single-select Status field, `addProjectV2ItemById` (returns the existing item for
an issue already in the project), an item's `fieldValueByName`, and
`updateProjectV2ItemFieldValue`. Failures answer HTTP 200 with an `errors` array, as GitHub
does (`NOT_FOUND`, `UNPROCESSABLE`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from symphony.integrations.fake_http import FakeRequest, FakeResponse


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def gql_error(message: str, kind: str = "NOT_FOUND", path: str | None = None) -> FakeResponse:
    error: dict[str, Any] = {"type": kind, "message": message, "locations": []}
    if path:
        error["path"] = [path]
    return FakeResponse(200, {"data": None, "errors": [error]})


@dataclass(slots=True)
class FakeItem:
    id: str
    content_id: str
    option_id: str | None = None
    updated_at: str = ""


@dataclass(slots=True)
class FakeProject:
    owner: str = "acme"
    number: int = 1
    id: str = "PVT_fake1"
    title: str = "Roadmap"
    field_id: str = "PVTSSF_status"
    options: dict[str, str] = field(
        default_factory=lambda: {"f75ad846": "Todo", "47fc9ee4": "In Progress", "98236657": "Done"}
    )  # option id -> name
    items: dict[str, FakeItem] = field(default_factory=dict)
    now: Callable[[], str] = _now

    def status_of(self, content_id: str) -> str | None:
        item = next((i for i in self.items.values() if i.content_id == content_id), None)
        return None if item is None or item.option_id is None else self.options[item.option_id]

    def set_status_of(self, content_id: str, name: str, at: str | None = None) -> None:
        """What a person does in the project's board (for tests and drills)."""
        item = next(i for i in self.items.values() if i.content_id == content_id)
        item.option_id = next(k for k, v in self.options.items() if v == name)
        item.updated_at = at or self.now()

    def handle(self, request: FakeRequest, contents: Collection[str]) -> FakeResponse:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return FakeResponse(400, {"message": "Problems parsing JSON"})
        query: str = body["query"]
        variables: dict[str, Any] = body.get("variables") or {}
        if "addProjectV2ItemById" in query:
            return self._add(variables, contents)
        if "updateProjectV2ItemFieldValue" in query:
            return self._update(variables)
        if "projectV2(number:" in query:
            return self._project(variables)
        if "node(id:" in query:
            return self._item(variables)
        return gql_error("the fake does not know this query", "UNPROCESSABLE")

    def _project(self, v: dict[str, Any]) -> FakeResponse:
        if v.get("owner") != self.owner:
            return gql_error(f"Could not resolve to a User with the login of '{v.get('owner')}'.")
        if v.get("number") != self.number:
            return FakeResponse(
                200,
                {
                    "data": {"repositoryOwner": {"projectV2": None}},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["repositoryOwner", "projectV2"],
                            "message": "Could not resolve to a ProjectV2 with the number"
                            f" {v.get('number')}.",
                        }
                    ],
                },
            )
        options = [{"id": k, "name": n} for k, n in self.options.items()]
        nodes: list[dict[str, Any]] = [
            {},  # a field that is not single-select matches no fragment: an empty object
            {"id": self.field_id, "name": "Status", "options": options},
        ]
        project = {"id": self.id, "title": self.title, "fields": {"nodes": nodes}}
        return FakeResponse(200, {"data": {"repositoryOwner": {"projectV2": project}}})

    def _add(self, v: dict[str, Any], contents: Collection[str]) -> FakeResponse:
        if v.get("project") != self.id:
            return gql_error(
                f"Could not resolve to a node with the global id of '{v.get('project')}'"
            )
        content = v.get("content")
        if content not in contents:
            return gql_error(f"Could not resolve to a node with the global id of '{content}'")
        item = next((i for i in self.items.values() if i.content_id == content), None)
        if item is None:
            item = FakeItem(f"PVTI_fake{len(self.items) + 1}", str(content), None, self.now())
            self.items[item.id] = item
        return FakeResponse(200, {"data": {"addProjectV2ItemById": {"item": {"id": item.id}}}})

    def _item(self, v: dict[str, Any]) -> FakeResponse:
        item = self.items.get(str(v.get("item")))
        if item is None:
            return gql_error(f"Could not resolve to a node with the global id of '{v.get('item')}'")
        value: dict[str, Any] | None = None
        if item.option_id is not None and v.get("field") == "Status":
            value = {
                "name": self.options[item.option_id],
                "optionId": item.option_id,
                "updatedAt": item.updated_at,
            }
        node = {"id": item.id, "updatedAt": item.updated_at, "fieldValueByName": value}
        return FakeResponse(200, {"data": {"node": node}})

    def _update(self, v: dict[str, Any]) -> FakeResponse:
        item = self.items.get(str(v.get("item")))
        if v.get("project") != self.id or item is None:
            return gql_error(f"Could not resolve to a node with the global id of '{v.get('item')}'")
        if v.get("field") != self.field_id:
            return gql_error(
                f"Could not resolve to a node with the global id of '{v.get('field')}'"
            )
        option = v.get("option")
        if option not in self.options:
            return gql_error(
                f"The single select option Id does not belong to the field: {option}",
                "UNPROCESSABLE",
            )
        item.option_id = str(option)
        item.updated_at = self.now()
        return FakeResponse(
            200,
            {
                "data": {
                    "updateProjectV2ItemFieldValue": {
                        "projectV2Item": {"id": item.id, "updatedAt": item.updated_at}
                    }
                }
            },
        )
