"""POST /graphql: GraphQL over HTTP (JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from symphony.api.contracts.base import Wire, absent


class GraphQLErrorBody(Wire):
    """One GraphQL error; `extensions.code` is the REST error code (`forbidden`,
    `unknown_tenant`, `validation_error`…) or `query_too_deep` / `query_too_costly` /
    `graphql_syntax_error` / `graphql_invalid`."""

    message: str
    locations: list[dict[str, int]] | None = absent()
    path: list[str | int] | None = absent()
    extensions: dict[str, Any] | None = absent()


class GraphQLResponse(Wire):
    """`data` (null when the request was refused before it ran) and any `errors`."""

    data: dict[str, Any] | None = Field(description="the result; null when nothing ran")
    errors: list[GraphQLErrorBody] | None = absent("present when something went wrong")
