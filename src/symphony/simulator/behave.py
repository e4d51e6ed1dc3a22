"""What a simulated model does with tools, images, audio and JSON modes, for every wire.

Deterministic, like the rest of the simulator: offered tools (and no tool result yet), the
model calls the forced tool or the first one, with arguments built from its JSON Schema;
given a tool result, it answers with text that quotes it; asked for JSON, it answers with
an instance of the schema (or `{"answer": ...}`); shown images, it says how many it saw.
Each wire module reads its own request shape into `Extras`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symphony.simulator.text import content_text

__all__ = [
    "NO_EXTRAS",
    "Extras",
    "SimTool",
    "anthropic_extras",
    "gemini_extras",
    "openai_extras",
    "sample",
]


@dataclass(frozen=True, slots=True)
class SimTool:
    """A tool the request offers: its name and JSON Schema parameters."""

    name: str
    schema: Any


@dataclass(frozen=True, slots=True)
class Extras:
    """Everything beyond text a request asked for, in wire-neutral form."""

    tools: tuple[SimTool, ...] = ()
    tool_choice: str | None = None  # auto | none | required | a tool name
    tool_result: str | None = None  # the last turn answered a tool call with this
    images: int = 0
    audio: int = 0
    json: Any = None  # True for a JSON object, a schema for json_schema, None for text
    n: int = 1

    def tool_to_call(self) -> SimTool | None:
        """The tool the model calls now, or None when it answers with text."""
        if not self.tools or self.tool_choice == "none" or self.tool_result is not None:
            return None
        for tool in self.tools:
            if tool.name == self.tool_choice:
                return tool
        return self.tools[0]


NO_EXTRAS = Extras()


def sample(schema: Any, words: str) -> Any:
    """A value matching `schema`: required properties filled, strings from `words`."""
    if not isinstance(schema, dict):
        return words or "value"
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample(schema[key][0], words)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        names = required if isinstance(required, list) and required else list(props)
        return {name: sample(props.get(name, {}), words) for name in names if isinstance(name, str)}
    if kind == "array":
        return [sample(schema.get("items", {}), words)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return words or "value"


def _count(n: Any) -> int:
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1


# --- OpenAI chat completions --------------------------------------------------------------


def openai_extras(body: dict[str, Any]) -> Extras:
    """Tools, tool results, images, audio, response_format and n of a chat request."""
    tools = []
    for item in body.get("tools") or ():
        fn = item.get("function") if isinstance(item, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            tools.append(SimTool(fn["name"], fn.get("parameters")))
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        fn = choice.get("function")
        choice = fn.get("name") if isinstance(fn, dict) else None
    images = audio = 0
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict):
                    images += part.get("type") == "image_url"
                    audio += part.get("type") == "input_audio"
    result = None
    if messages and messages[-1].get("role") == "tool":
        result = content_text(messages[-1].get("content"))
    fmt = body.get("response_format")
    json: Any = None
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        json = True
    elif isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        json = spec.get("schema", True) if isinstance(spec, dict) else True
    return Extras(
        tools=tuple(tools),
        tool_choice=choice if isinstance(choice, str) else None,
        tool_result=result,
        images=images,
        audio=audio,
        json=json,
        n=_count(body.get("n")),
    )


# --- Anthropic messages ---------------------------------------------------------------------


def anthropic_extras(body: dict[str, Any]) -> Extras:
    """Tools, tool results and images of a Messages request (JSON mode is a forced tool)."""
    tools = tuple(
        SimTool(t["name"], t.get("input_schema"))
        for t in body.get("tools") or ()
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    )
    choice = body.get("tool_choice")
    mode: str | None = None
    if isinstance(choice, dict):
        kind = choice.get("type")
        mode = {"auto": "auto", "any": "required", "none": "none"}.get(str(kind))
        if kind == "tool" and isinstance(choice.get("name"), str):
            mode = choice["name"]
    images = 0
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    result = None
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            images += sum(1 for b in content if isinstance(b, dict) and b.get("type") == "image")
    if messages and isinstance(messages[-1].get("content"), list):
        results = [
            content_text(b.get("content"))
            for b in messages[-1]["content"]
            if isinstance(b, dict) and b.get("type") == "tool_result"
        ]
        result = " ".join(results) if results else None
    return Extras(tools=tools, tool_choice=mode, tool_result=result, images=images)


# --- Gemini generateContent -----------------------------------------------------------------


def gemini_extras(body: dict[str, Any]) -> Extras:
    """Function declarations, function responses, inline data and JSON mode of a request."""
    tools = []
    for group in body.get("tools") or ():
        for decl in (group.get("functionDeclarations") or ()) if isinstance(group, dict) else ():
            if isinstance(decl, dict) and isinstance(decl.get("name"), str):
                tools.append(SimTool(decl["name"], decl.get("parameters")))
    mode: str | None = None
    config = body.get("toolConfig")
    calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
    if isinstance(calling, dict):
        mode = {"AUTO": "auto", "ANY": "required", "NONE": "none"}.get(str(calling.get("mode")))
        allowed = calling.get("allowedFunctionNames")
        if isinstance(allowed, list) and allowed and isinstance(allowed[0], str):
            mode = allowed[0]
    images = audio = 0
    contents = [c for c in body.get("contents") or () if isinstance(c, dict)]
    result = None
    for item in contents:
        for part in item.get("parts") or ():
            inline = part.get("inlineData") if isinstance(part, dict) else None
            if isinstance(inline, dict):
                mime = str(inline.get("mimeType", ""))
                images += mime.startswith("image/")
                audio += mime.startswith("audio/")
    if contents:
        responses = [
            str((p.get("functionResponse") or {}).get("response", ""))
            for p in contents[-1].get("parts") or ()
            if isinstance(p, dict) and "functionResponse" in p
        ]
        result = " ".join(responses) if responses else None
    gen = body.get("generationConfig")
    gen = gen if isinstance(gen, dict) else {}
    json: Any = None
    if gen.get("responseMimeType") == "application/json":
        json = gen.get("responseSchema") or True
    return Extras(
        tools=tuple(tools),
        tool_choice=mode,
        tool_result=result,
        images=images,
        audio=audio,
        json=json,
        n=_count(gen.get("candidateCount")),
    )
