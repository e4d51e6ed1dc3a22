"""The GenerateContentRequest for a provider-neutral chat request (Gemini's native API).

System turns become `systemInstruction`, assistant turns `model` turns, tool calls
`functionCall` parts and tool results `functionResponse` parts (named from the call they
answer, since Gemini has no call ids); JSON Schemas are cut to Gemini's OpenAPI subset.
What has no equivalent raises ValueError naming it (the planner refuses those first).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from symphony.providers.base import ChatMessage, ChatRequest
from symphony.providers.chat import data_url

__all__ = ["gemini_body", "gemini_schema"]

# Gemini's Schema is an OpenAPI 3.0 subset: keep what it knows, refuse references.
_SCHEMA_KEYS: Final = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "items",
        "properties",
        "required",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "anyOf",
        "propertyOrdering",
        "default",
    }
)


def gemini_schema(schema: Any) -> Any:
    """A JSON Schema in Gemini's subset; raise ValueError for `$ref` (no equivalent)."""
    if isinstance(schema, list):
        return [gemini_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        raise ValueError("a JSON Schema with $ref")
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS:
            continue  # additionalProperties, $schema, strict…: Gemini rejects them
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: gemini_schema(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = gemini_schema(value)
        elif key == "type" and isinstance(value, list):  # ["string", "null"]
            kinds = [k for k in value if k != "null"]
            out["type"] = kinds[0] if kinds else "string"
            if "null" in value:
                out["nullable"] = True
        else:
            out[key] = value
    return out


def _parts(m: ChatMessage, names: dict[str, str]) -> list[dict[str, Any]]:
    if m.role == "tool":
        try:
            result = orjson.loads(m.content)
        except orjson.JSONDecodeError:
            result = None
        response = result if isinstance(result, dict) else {"content": m.content}
        name = names.get(m.tool_call_id or "", m.name or "")
        return [{"functionResponse": {"name": name, "response": response}}]
    parts: list[dict[str, Any]] = []
    if m.parts:
        for part in m.parts:
            if part.type == "text":
                if part.text:
                    parts.append({"text": part.text})
            elif part.type == "image":
                inline = data_url(part.url)
                if inline is None:
                    raise ValueError("image_url with a remote URL (send a data: URL)")
                parts.append({"inlineData": {"mimeType": inline[0], "data": inline[1]}})
            else:
                mime = f"audio/{part.format or 'wav'}"
                parts.append({"inlineData": {"mimeType": mime, "data": part.data}})
    elif m.content:
        parts.append({"text": m.content})
    for call in m.tool_calls:
        names[call.id] = call.name
        try:
            args = orjson.loads(call.arguments or "{}")
        except orjson.JSONDecodeError:
            raise ValueError(f"tool_calls[{call.id}].function.arguments is not JSON") from None
        parts.append({"functionCall": {"name": call.name, "args": args}})
    return parts


def gemini_body(req: ChatRequest) -> dict[str, Any]:
    """A GenerateContentRequest for `req`; raise ValueError naming what has no equivalent."""
    o = req.options
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for m in req.messages:
        if m.role in ("system", "developer"):
            continue
        role = "model" if m.role == "assistant" else "user"
        parts = _parts(m, names)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    body: dict[str, Any] = {"contents": contents}
    system = "\n\n".join(m.content for m in req.messages if m.role in ("system", "developer"))
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    if o.tools:
        declarations = []
        for t in o.tools:
            decl: dict[str, Any] = {"name": t.name}
            if t.description is not None:
                decl["description"] = t.description
            if t.parameters:
                decl["parameters"] = gemini_schema(t.parameters)
            declarations.append(decl)
        body["tools"] = [{"functionDeclarations": declarations}]
    if o.tool_choice is not None:
        mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}
        calling: dict[str, Any] = {"mode": mode[o.tool_choice.mode]}
        if o.tool_choice.mode == "function":
            calling["allowedFunctionNames"] = [o.tool_choice.name]
        body["toolConfig"] = {"functionCallingConfig": calling}
    config: dict[str, Any] = {}
    if req.max_tokens is not None:
        config["maxOutputTokens"] = req.max_tokens
    if req.temperature is not None:
        config["temperature"] = req.temperature
    if req.top_p is not None:
        config["topP"] = req.top_p
    fmt = o.response_format
    if fmt is not None and fmt.type != "text":
        config["responseMimeType"] = "application/json"
        if fmt.type == "json_schema" and fmt.schema:
            config["responseSchema"] = gemini_schema(fmt.schema)
    optional = {
        "stopSequences": list(o.stop) if o.stop else None,
        "seed": o.seed,
        "presencePenalty": o.presence_penalty,
        "frequencyPenalty": o.frequency_penalty,
        "candidateCount": o.n if o.n != 1 else None,
        "topK": o.top_k,
    }
    config.update((k, v) for k, v in optional.items() if v is not None)
    if config:
        body["generationConfig"] = config
    return body
