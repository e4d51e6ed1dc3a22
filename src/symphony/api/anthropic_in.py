"""Anthropic's Messages request, validated, and read into the provider-neutral shape.

An Anthropic upstream gets the client's own body (unknown fields such as `thinking` pass
through); other protocols get a translation, and what has no equivalent there (server
tools, thinking blocks, unknown fields) is refused by the planner, never dropped.
`cache_control` marks are a cost hint only Anthropic reads: translation leaves them out.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from symphony.providers.base import ChatMessage
from symphony.providers.chat import ChatOptions, Native, Part, Tool, ToolCall, ToolChoice
from symphony.providers.features import ANTHROPIC_FIELDS

__all__ = ["MessagesIn", "ReadMessages", "read_messages"]

FORWARDED_HEADERS = ("anthropic-beta",)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SourceIn(_Open):
    type: Literal["base64", "url"]
    media_type: str | None = Field(None, max_length=64)
    data: str | None = Field(None, max_length=20_000_000)
    url: str | None = Field(None, max_length=20_000)


class BlockIn(_Open):
    type: str = Field(..., min_length=1, max_length=64)
    text: str | None = Field(None, max_length=1_500_000)
    source: SourceIn | None = None
    id: str | None = Field(None, max_length=256)
    name: str | None = Field(None, max_length=256)
    input: Any = None
    tool_use_id: str | None = Field(None, max_length=256)
    content: str | list[BlockIn] | None = None
    is_error: bool | None = None


class MessageIn(_Open):
    role: Literal["user", "assistant"]
    content: str | list[BlockIn]


class ToolIn(_Open):
    name: str = Field(..., min_length=1, max_length=128)
    type: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=100_000)
    input_schema: dict[str, Any] | None = None


class ToolChoiceIn(_Open):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = Field(None, max_length=128)
    disable_parallel_tool_use: bool | None = None


class MetadataIn(_Open):
    user_id: str | None = Field(None, max_length=256)


class MessagesIn(_Open):
    """Anthropic's Messages request; `model` is a policy model (or its upstream id) or `auto`."""

    model: str = Field(..., min_length=1, max_length=200)
    max_tokens: int = Field(..., ge=1)
    messages: list[MessageIn] = Field(..., min_length=1, max_length=2000)
    system: str | list[BlockIn] | None = None
    metadata: MetadataIn | None = None
    stop_sequences: list[str] | None = Field(None, max_length=16)
    stream: bool = False
    temperature: float | None = Field(None, ge=0.0, le=1.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    top_k: int | None = Field(None, ge=0)
    tools: list[ToolIn] | None = Field(None, max_length=128)
    tool_choice: ToolChoiceIn | None = None


def _text(content: str | list[BlockIn] | None) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.text or "" for b in content or () if b.type == "text")


def _part(block: BlockIn) -> Part | None:
    if block.type == "text":
        return Part("text", text=block.text or "")
    if block.type == "image" and block.source is not None:
        src = block.source
        if src.type == "base64":
            return Part("image", url=f"data:{src.media_type};base64,{src.data}")
        return Part("image", url=src.url or "")
    return None


class ReadMessages:
    """A Messages request read into what the executor and the planner need."""

    __slots__ = ("messages", "options", "unknown")

    def __init__(
        self, messages: tuple[ChatMessage, ...], options: ChatOptions, unknown: list[str]
    ) -> None:
        self.messages = messages
        self.options = options
        self.unknown = unknown


def _turns(m: MessageIn, unknown: dict[str, None]) -> list[ChatMessage]:
    if isinstance(m.content, str):
        return [ChatMessage(m.role, m.content)]
    out: list[ChatMessage] = []
    parts: list[Part] = []
    calls: list[ToolCall] = []
    for block in m.content:
        if block.type == "tool_result":
            out.append(
                ChatMessage("tool", _text(block.content), tool_call_id=block.tool_use_id or "")
            )
            if isinstance(block.content, list) and any(b.type != "text" for b in block.content):
                unknown["messages[].content[].tool_result with images"] = None
        elif block.type == "tool_use":
            args = orjson.dumps(block.input if block.input is not None else {}).decode()
            calls.append(ToolCall(block.id or "", block.name or "", args))
        else:
            part = _part(block)
            if part is None:
                unknown[f"messages[].content[].type={block.type}"] = None
            else:
                parts.append(part)
    if parts or calls or not out:
        text = "".join(p.text for p in parts if p.type == "text")
        kept = tuple(parts) if any(p.type != "text" for p in parts) else ()
        out.append(ChatMessage(m.role, text, kept, tuple(calls)))
    return out


def _choice(choice: ToolChoiceIn | None) -> tuple[ToolChoice | None, bool | None]:
    if choice is None:
        return None, None
    parallel = False if choice.disable_parallel_tool_use else None
    if choice.type == "tool":
        return ToolChoice("function", choice.name), parallel
    mode = {"auto": "auto", "any": "required", "none": "none"}[choice.type]
    return ToolChoice(mode), parallel  # type: ignore[arg-type]


def read_messages(raw: dict[str, Any], body: MessagesIn, headers: dict[str, str]) -> ReadMessages:
    """Read a validated body; `raw` is the JSON as sent (kept for Anthropic upstreams)."""
    unknown: dict[str, None] = {k: None for k in raw if k not in ANTHROPIC_FIELDS}
    thinking = raw.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "disabled":
        unknown.pop("thinking", None)  # asks for nothing that could be lost
    messages: list[ChatMessage] = []
    system = _text(body.system) if body.system is not None else ""
    if system:
        messages.append(ChatMessage("system", system))
    for m in body.messages:
        messages.extend(_turns(m, unknown))
    tools = []
    for t in body.tools or ():
        if t.type not in (None, "custom"):
            unknown[f"tools[].type={t.type}"] = None  # a server tool: Anthropic only
            continue
        tools.append(Tool(t.name, t.description, t.input_schema))
    choice, parallel = _choice(body.tool_choice)
    forwarded = {k: headers[k] for k in FORWARDED_HEADERS if k in headers}
    options = ChatOptions(
        tools=tuple(tools),
        tool_choice=choice,
        parallel_tool_calls=parallel,
        stop=tuple(body.stop_sequences or ()),
        top_k=body.top_k,
        user=body.metadata.user_id if body.metadata is not None else None,
        native=Native("anthropic", dict(raw), forwarded),
    )
    return ReadMessages(tuple(messages), options, list(unknown))
