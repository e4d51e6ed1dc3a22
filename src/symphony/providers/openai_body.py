"""The Chat Completions body for a request that did not arrive in OpenAI's shape (from
`/v1/messages`). A request that did is sent as the client wrote it (`chat.Native`)."""

from __future__ import annotations

from typing import Any

from symphony.providers.base import ChatMessage, ChatRequest
from symphony.providers.chat import Part, ResponseFormat, Tool, ToolChoice

__all__ = ["openai_body"]


def _part(part: Part) -> dict[str, Any]:
    if part.type == "image":
        image: dict[str, Any] = {"url": part.url}
        if part.detail is not None:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    if part.type == "audio":
        return {"type": "input_audio", "input_audio": {"data": part.data, "format": part.format}}
    return {"type": "text", "text": part.text}


def _message(m: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role}
    if m.role == "tool":
        out["tool_call_id"] = m.tool_call_id or ""
        out["content"] = m.content
        return out
    if m.parts:
        out["content"] = [_part(p) for p in m.parts]
    elif m.tool_calls and not m.content:
        out["content"] = None
    else:
        out["content"] = m.content
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.name:
        out["name"] = m.name
    return out


def _tool(tool: Tool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        fn["description"] = tool.description
    if tool.parameters is not None:
        fn["parameters"] = tool.parameters
    if tool.strict is not None:
        fn["strict"] = tool.strict
    return {"type": "function", "function": fn}


def _tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "function":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def _response_format(fmt: ResponseFormat) -> dict[str, Any]:
    if fmt.type != "json_schema":
        return {"type": fmt.type}
    schema: dict[str, Any] = {"name": fmt.name or "response"}
    if fmt.schema is not None:
        schema["schema"] = fmt.schema
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": schema}


def openai_body(req: ChatRequest) -> dict[str, Any]:
    """Chat Completions body for a request that did not arrive in OpenAI's shape."""
    o = req.options
    body: dict[str, Any] = {"model": req.model, "messages": [_message(m) for m in req.messages]}
    if o.tools:
        body["tools"] = [_tool(t) for t in o.tools]
    if o.tool_choice is not None:
        body["tool_choice"] = _tool_choice(o.tool_choice)
    if o.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = o.parallel_tool_calls
    if o.response_format is not None:
        body["response_format"] = _response_format(o.response_format)
    if o.n != 1:
        body["n"] = o.n
    if o.stop:
        body["stop"] = list(o.stop)
    optional = {
        "seed": o.seed,
        "presence_penalty": o.presence_penalty,
        "frequency_penalty": o.frequency_penalty,
        "logit_bias": dict(o.logit_bias) if o.logit_bias is not None else None,
        "logprobs": o.logprobs,
        "top_logprobs": o.top_logprobs,
        "user": o.user,
        "reasoning_effort": o.reasoning_effort,
    }
    body.update((k, v) for k, v in optional.items() if v is not None)
    return body
