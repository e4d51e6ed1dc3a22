"""The strict base model and the helpers routes use to declare responses in OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

REF_PREFIX = "#/components/schemas/"
JSON = "application/json"
SSE = "text/event-stream"
Responses = dict[int | str, dict[str, Any]]


class Wire(BaseModel):
    """A body exactly as the API sends it: an undeclared key fails validation."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# Instants on the wire are ISO 8601 text with a UTC offset (or "Z").
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def ref(model: type[BaseModel]) -> dict[str, str]:
    """A JSON Schema reference to `model` (api/openapi.py adds its schema to components)."""
    return {"$ref": f"{REF_PREFIX}{model.__name__}"}


def content(model: type[BaseModel], example: Any = None) -> dict[str, Any]:
    """An `application/json` content entry for `model`, with an example when given."""
    entry: dict[str, Any] = {"schema": ref(model)}
    if example is not None:
        entry["example"] = example
    return {JSON: entry}


def ok(model: type[BaseModel], example: Any = None, description: str = "OK") -> Responses:
    """The 200 response: `model` as JSON."""
    return {200: {"description": description, "content": content(model, example)}}


def sse_content(
    events: dict[str, dict[str, Any]],
    description: str,
    example: str | None = None,
    terminator: str | None = None,
) -> dict[str, Any]:
    """A `text/event-stream` content entry: `x-sse-events` maps each event name (the SSE
    `event:` field; "message" when absent) to the JSON Schema of its `data`;
    `x-sse-terminator` is a literal final `data` line, if any (OpenAI's "[DONE]")."""
    entry: dict[str, Any] = {
        "schema": {"type": "string", "description": description},
        "x-sse-events": events,
    }
    if terminator is not None:
        entry["x-sse-terminator"] = terminator
    if example is not None:
        entry["example"] = example
    return {SSE: entry}


def _not_null(schema: dict[str, Any]) -> None:
    """Field schema hook: a key that may be absent but is never `null` when present."""
    schema.pop("default", None)
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        del schema["anyOf"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


def absent(description: str | None = None) -> Any:
    """A key present only sometimes (never `null`): `x: T | None = absent("...")`."""
    return Field(None, description=description, json_schema_extra=_not_null)


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A required JSON request body of `model` (for routes that read their own body)."""
    return {"required": True, "content": {JSON: {"schema": ref(model)}}}
