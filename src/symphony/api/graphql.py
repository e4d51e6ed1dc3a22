"""POST /graphql: the GraphQL face over the same services, keys, roles and tenants as REST.

Requests are parsed and measured before they run: deeper than `MAX_DEPTH` levels of
fields, or more than `MAX_FIELDS` fields in all, is refused with the depth or count and
the limit. Like every GraphQL server answering `application/json`, a refused or failed
request is still HTTP 200: `data` is null and `errors` says why (400 stays the body
renderer's "not JSON" answer). Introspection fields (`__schema`, `__type`) are not counted.
Errors of resolvers carry the REST error's `code` (and `status`) in `extensions`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from symphony.api.contracts.base import content
from symphony.api.contracts.errors import INVALID, problems
from symphony.api.contracts.graphql import GraphQLResponse
from symphony.api.deps import services_of
from symphony.api.errors import json_response
from symphony.api.graphql_schema import schema
from symphony.errors import SymphonyError

router = APIRouter(tags=["graphql"])
MAX_DEPTH = 8
MAX_FIELDS = 500

EXAMPLE_QUERY = "{ jobs(state: QUEUED) { id state nextRunAt } models { name window { cap } } }"


class GraphQLIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"query": EXAMPLE_QUERY}]},
    )
    query: str = Field(..., min_length=1, max_length=100_000)
    variables: dict[str, Any] | None = None
    operation_name: str | None = Field(None, alias="operationName", max_length=200)


def _depth_and_count(doc: DocumentNode) -> tuple[int, int]:
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    count = 0

    def walk(selections: SelectionSetNode | None, seen: frozenset[str]) -> int:
        nonlocal count
        if selections is None:
            return 0
        deepest = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                if node.name.value.startswith("__"):
                    continue
                count += 1
                deepest = max(deepest, 1 + walk(node.selection_set, seen))
            elif isinstance(node, InlineFragmentNode):
                deepest = max(deepest, walk(node.selection_set, seen))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    deepest = max(deepest, walk(fragment.selection_set, seen | {name}))
        return deepest

    depth = max(
        (
            walk(d.selection_set, frozenset())
            for d in doc.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )
    return depth, count


def refuse(message: str, code: str, **extensions: Any) -> Response:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return json_response({"data": None, "errors": [error]})


def error_body(error: GraphQLError) -> dict[str, Any]:
    body: dict[str, Any] = dict(error.formatted)  # message, locations, path
    original = error.original_error
    if isinstance(original, SymphonyError):
        extensions: dict[str, Any] = {"code": original.code, "status": original.status}
        if original.detail is not None:
            extensions["detail"] = original.detail
        body["extensions"] = extensions
    elif original is None:
        body["extensions"] = {"code": "graphql_invalid"}
    else:
        body["message"] = f"internal error: {type(original).__name__}"
        body["extensions"] = {"code": "internal_error"}
    return body


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`data`, and `errors` for what failed (with the REST error `code`);"
        " a request refused before running (syntax, unknown field, depth, field count) has"
        " `data: null`",
        "content": content(
            GraphQLResponse, {"data": {"jobs": [{"id": "job_x", "state": "QUEUED"}]}}
        ),
    },
    **problems({422: INVALID}),
}
RESPONSES[200]["content"]["application/json"]["examples"] = {
    "ran": {"value": {"data": {"jobs": [{"id": "job_x", "state": "QUEUED"}]}}},
    "too deep": {
        "value": {
            "data": None,
            "errors": [
                {
                    "message": "query depth 9 exceeds the limit 8",
                    "extensions": {"code": "query_too_deep", "depth": 9, "limit": 8},
                }
            ],
        }
    },
}
del RESPONSES[200]["content"]["application/json"]["example"]


@router.post(
    "/graphql",
    summary="GraphQL: models, windows, budgets, jobs; mutations plan, execute, submitJob",
    responses=RESPONSES,
)
async def graphql(body: GraphQLIn, request: Request) -> Response:
    try:
        doc = parse(body.query)
    except GraphQLError as exc:
        return refuse(exc.message, "graphql_syntax_error")
    depth, count = _depth_and_count(doc)
    if depth > MAX_DEPTH:
        return refuse(
            f"query depth {depth} exceeds the limit {MAX_DEPTH}",
            "query_too_deep",
            depth=depth,
            limit=MAX_DEPTH,
        )
    if count > MAX_FIELDS:
        return refuse(
            f"query selects {count} fields; the limit is {MAX_FIELDS}",
            "query_too_costly",
            fields=count,
            limit=MAX_FIELDS,
        )
    context = {"request": request, "services": services_of(request)}
    try:
        result = await schema.execute(
            body.query,
            variable_values=body.variables,
            operation_name=body.operation_name,
            context_value=context,
        )
    except ValidationError as exc:  # pragma: no cover - resolvers convert these
        return refuse(str(exc), "validation_error")
    errors = [error_body(e) for e in result.errors or ()]
    out: dict[str, Any] = {"data": result.data}
    if errors:
        out["errors"] = errors
    return json_response(out)
