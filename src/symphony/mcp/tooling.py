"""How a Symphony tool becomes an MCP tool: arguments, permission, tenant, result, errors.

A `ToolSpec` names its arguments model (the REST body where there is one: `PlanIn`,
`ExecuteIn`), the permission of its REST twin and a handler over `Services`. The MCP tool
built from it advertises the model's JSON schema as its input schema and validates the raw
arguments with that same model (unknown names are refused, as `extra="forbid"` refuses
them over REST). Every Symphony error comes back as an MCP tool error (`isError`) whose
text names what was wrong and whose structured content is REST's error body.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from symphony.errors import SymphonyError, ValidationFailed
from symphony.mcp.caller import Caller, current_caller
from symphony.security.roles import Permission
from symphony.services import Services

A = TypeVar("A", bound=BaseModel)
BODY_PREFIX = re.compile(r"\bbody\.")
Handler = Callable[[Services, Caller, A], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[A]):
    """One tool: its name, what it tells the model, its arguments and what it runs."""

    name: str
    title: str
    description: str
    args: type[A]
    permission: Permission  # the permission of the REST route it mirrors
    run: Handler[A]
    read_only: bool = True
    hidden_args: tuple[str, ...] = ()  # fields of `args` the tool does not offer

    def input_schema(self) -> dict[str, Any]:
        """The arguments' JSON schema (the REST body's), minus the hidden fields."""
        schema = self.args.model_json_schema()
        schema.pop("examples", None)
        properties = schema.get("properties", {})
        for name in self.hidden_args:
            properties.pop(name, None)
        return schema


class RawArguments(ArgModelBase):
    """Hands the tool its raw arguments: the spec's own model validates them."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("overrides", "provider_hints", 0)` -> `overrides.provider_hints[0]`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(arguments)"


def parse_arguments(model: type[A], arguments: dict[str, Any]) -> A:
    """Validate tool arguments with `model`; a ValidationFailed names every bad field."""
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        fields = [
            {"path": field_path(tuple(e["loc"])), "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        text = "; ".join(f"{f['path']}: {f['message']}" for f in fields)
        raise ValidationFailed(f"invalid arguments: {text}", detail={"fields": fields}) from None


def _unbody(value: Any) -> Any:
    """REST names fields `body.x`; a tool's arguments are the body, so they are just `x`."""
    if isinstance(value, str):
        return BODY_PREFIX.sub("", value)
    if isinstance(value, dict):
        return {k: _unbody(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unbody(v) for v in value]
    return value


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()


def success(value: dict[str, Any]) -> CallToolResult:
    """A tool's answer: the JSON as text and as structured content."""
    return CallToolResult(
        content=[TextContent(type="text", text=_json(value))], structured_content=value
    )


def failure(exc: SymphonyError) -> CallToolResult:
    """A tool error: `<code>: <message>` (and the detail), REST's error body as structure."""
    if isinstance(exc, ValidationFailed):
        exc = ValidationFailed(_unbody(exc.message), detail=_unbody(exc.detail))
    body = exc.to_dict()
    body["error"]["status"] = exc.status
    text = f"{exc.code}: {exc.message}"
    if exc.detail is not None and not isinstance(exc, ValidationFailed):
        text += "\n" + _json(exc.detail)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=body, is_error=True
    )


async def invoke(
    spec: ToolSpec[A], services: Services, caller: Caller, arguments: dict[str, Any]
) -> CallToolResult:
    """Check the caller, validate the arguments, run the handler; errors become results."""
    try:
        caller.need(spec.permission, spec.name)
        if "tenant" in spec.args.model_fields and "tenant" not in arguments:
            only = caller.only_tenant()  # a key bound to one tenant acts for it by default
            if only is not None:
                arguments = {**arguments, "tenant": only}
        args = parse_arguments(spec.args, arguments)
        tenant = getattr(args, "tenant", None)
        if isinstance(tenant, str):
            caller.tenant(tenant)
        return success(await spec.run(services, caller, args))
    except SymphonyError as exc:
        return failure(exc)


def build_tool(spec: ToolSpec[Any], services: Callable[[], Services]) -> Tool:
    """The MCP tool for `spec`; `services` gives the process's Services at call time."""

    async def call(arguments: dict[str, Any]) -> CallToolResult:
        return await invoke(spec, services(), current_caller(), arguments)

    return Tool(
        fn=call,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=spec.input_schema(),
        fn_metadata=FuncMetadata(arg_model=RawArguments),
        is_async=True,
        context_kwarg=None,
        annotations=ToolAnnotations(
            title=spec.title,
            read_only_hint=spec.read_only,
            destructive_hint=False,
            idempotent_hint=spec.read_only,
            open_world_hint=not spec.read_only,
        ),
    )
