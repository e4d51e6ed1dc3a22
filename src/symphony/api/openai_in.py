"""OpenAI's chat-completions request, validated, and read into the provider-neutral shape.

Every documented field is validated and carried (`providers.chat`); fields Symphony does not
know are kept in the client's own body (`Native`), which an OpenAI-protocol upstream gets
as it came, and are refused for the other protocols by the planner. Symphony's routing
hints in `metadata` (task, loa, tenant) are taken out before the body goes anywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from symphony.providers.base import ChatMessage
from symphony.providers.chat import (
    ChatOptions,
    Native,
    Part,
    ResponseFormat,
    Tool,
    ToolCall,
    ToolChoice,
)
from symphony.providers.features import OPENAI_FIELDS

__all__ = ["ROUTING_KEYS", "ChatCompletionIn", "read_chat"]

ROUTING_KEYS = frozenset({"task", "loa", "tenant"})  # Symphony's hints in `metadata`
Text = Annotated[str, Field(max_length=1_500_000)]


class _Open(BaseModel):
    """A part of OpenAI's request: known keys validated, others kept (never dropped)."""

    model_config = ConfigDict(extra="allow")


class ImageUrlIn(_Open):
    url: str = Field(..., min_length=1, max_length=20_000_000)
    detail: Literal["auto", "low", "high"] | None = None


class InputAudioIn(_Open):
    data: str = Field(..., max_length=20_000_000)
    format: str = Field(..., min_length=1, max_length=16)


class PartIn(_Open):
    type: str = Field(..., min_length=1, max_length=64)
    text: Text | None = None
    image_url: ImageUrlIn | None = None
    input_audio: InputAudioIn | None = None
    refusal: str | None = None


class FunctionCallIn(_Open):
    name: str = Field(..., min_length=1, max_length=256)
    arguments: str = Field("", max_length=1_500_000)


class ToolCallIn(_Open):
    id: str = Field(..., min_length=1, max_length=256)
    type: Literal["function"] = "function"
    function: FunctionCallIn


class MessageIn(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[PartIn] | None = None
    name: str | None = Field(None, max_length=256)
    tool_calls: list[ToolCallIn] | None = Field(None, max_length=128)
    tool_call_id: str | None = Field(None, max_length=256)
    refusal: str | None = None


class FunctionIn(_Open):
    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str | None = Field(None, max_length=100_000)
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolIn(_Open):
    type: Literal["function"]
    function: FunctionIn


class NamedFunctionIn(_Open):
    name: str = Field(..., min_length=1, max_length=64)


class ToolChoiceIn(_Open):
    type: Literal["function"]
    function: NamedFunctionIn


class JsonSchemaIn(_Open):
    name: str = Field(..., min_length=1, max_length=64)
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: bool | None = None


class ResponseFormatIn(_Open):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaIn | None = None


class StreamOptionsIn(_Open):
    include_usage: bool | None = None


class ChatCompletionIn(_Open):
    """OpenAI's chat-completions request; `model` is a policy model or `auto`."""

    model: str = Field(..., min_length=1, max_length=200)
    messages: list[MessageIn] = Field(..., min_length=1, max_length=2000)
    stream: bool = False
    stream_options: StreamOptionsIn | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    tools: list[ToolIn] | None = Field(None, max_length=128)
    tool_choice: Literal["auto", "none", "required"] | ToolChoiceIn | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormatIn | None = None
    n: int = Field(1, ge=1, le=16)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)
    user: str | None = Field(None, max_length=256)
    metadata: dict[str, str] | None = None
    reasoning_effort: str | None = Field(None, max_length=32)


def _part(p: PartIn) -> Part:
    if p.type == "image_url" and p.image_url is not None:
        return Part("image", url=p.image_url.url, detail=p.image_url.detail)
    if p.type == "input_audio" and p.input_audio is not None:
        return Part("audio", data=p.input_audio.data, format=p.input_audio.format)
    return Part("text", text=p.text or p.refusal or "")


def _message(m: MessageIn) -> ChatMessage:
    parts: tuple[Part, ...] = ()
    if isinstance(m.content, list):
        parts = tuple(_part(p) for p in m.content)
        text = "".join(p.text for p in parts if p.type == "text")
        if all(p.type == "text" for p in parts):
            parts = ()  # text only: plain text for every protocol
    else:
        text = m.content or ""
    calls = tuple(ToolCall(c.id, c.function.name, c.function.arguments) for c in m.tool_calls or ())
    role = "system" if m.role == "developer" else m.role
    return ChatMessage(role, text, parts, calls, m.tool_call_id, m.name)


def _unknown_parts(body: ChatCompletionIn) -> list[str]:
    """Content part types no other protocol can take (e.g. `file`), as field names."""
    found: dict[str, None] = {}
    for m in body.messages:
        if isinstance(m.content, list):
            for p in m.content:
                if p.type not in ("text", "image_url", "input_audio", "refusal"):
                    found[f"messages[].content[].type={p.type}"] = None
    return list(found)


def _options(body: ChatCompletionIn, native: Native) -> ChatOptions:
    choice: ToolChoice | None = None
    if isinstance(body.tool_choice, str):
        choice = ToolChoice(body.tool_choice)
    elif body.tool_choice is not None:
        choice = ToolChoice("function", body.tool_choice.function.name)
    fmt = body.response_format
    response_format = None
    if fmt is not None:
        schema = fmt.json_schema
        response_format = ResponseFormat(
            fmt.type,
            name=schema.name if schema else None,
            schema=schema.schema_ if schema else None,
            strict=schema.strict if schema else None,
        )
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    return ChatOptions(
        tools=tuple(
            Tool(t.function.name, t.function.description, t.function.parameters, t.function.strict)
            for t in body.tools or ()
        ),
        tool_choice=choice,
        parallel_tool_calls=body.parallel_tool_calls,
        response_format=response_format,
        n=body.n,
        stop=stop,
        seed=body.seed,
        presence_penalty=body.presence_penalty,
        frequency_penalty=body.frequency_penalty,
        logit_bias=body.logit_bias,
        logprobs=body.logprobs,
        top_logprobs=body.top_logprobs,
        user=body.user,
        reasoning_effort=body.reasoning_effort,
        native=native,
    )


class ReadChat:
    """A chat-completions request read into what the executor and the planner need."""

    __slots__ = ("messages", "metadata", "options", "unknown")

    def __init__(
        self,
        messages: tuple[ChatMessage, ...],
        options: ChatOptions,
        unknown: list[str],
        metadata: dict[str, str] | None,
    ) -> None:
        self.messages = messages
        self.options = options
        self.unknown = unknown
        self.metadata = metadata


def read_chat(raw: dict[str, Any], body: ChatCompletionIn) -> ReadChat:
    """Read a validated body; `raw` is the JSON as sent (kept for OpenAI upstreams)."""
    native_body = dict(raw)
    metadata = {k: v for k, v in (body.metadata or {}).items() if k not in ROUTING_KEYS}
    if "metadata" in native_body:
        if metadata:
            native_body["metadata"] = metadata
        else:
            del native_body["metadata"]
    native = Native("openai", native_body)
    unknown = [k for k in raw if k not in OPENAI_FIELDS] + _unknown_parts(body)
    return ReadChat(
        tuple(_message(m) for m in body.messages),
        _options(body, native),
        unknown,
        metadata or None,
    )
