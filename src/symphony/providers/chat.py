"""The provider-neutral shape of a chat request's content and of an answer's choices.

Everything a client may ask of a chat model beyond plain text lives here once, in OpenAI's
vocabulary (the richest of the three wire protocols): content parts (images, audio), tool
definitions and tool calls, tool results, response formats and the sampling options. Each
adapter translates what its protocol has an equivalent for; `providers.features` says what
it cannot honour, so the planner refuses such a candidate instead of dropping a field.

`Native` keeps the client's own request body: an adapter of the same protocol sends it as
it came (model, stream and token limit replaced), so fields Symphony does not know pass
through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ChatOptions",
    "Choice",
    "Native",
    "Part",
    "ResponseFormat",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "data_url",
]

PartType = Literal["text", "image", "audio"]


@dataclass(frozen=True, slots=True)
class Part:
    """One content part: text, an image (an http(s) or `data:` URL) or base64 audio."""

    type: PartType
    text: str = ""
    url: str = ""
    detail: str | None = None
    data: str = ""
    format: str = ""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for; `arguments` is JSON text, as OpenAI carries it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call, with its JSON Schema parameters."""

    name: str
    description: str | None = None
    parameters: Mapping[str, Any] | None = None
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """`auto`, `none`, `required` (any tool), or `function` (the one named)."""

    mode: Literal["auto", "none", "required", "function"]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """`text`, `json_object`, or `json_schema` with its schema (and OpenAI's `strict`)."""

    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema: Mapping[str, Any] | None = None
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class Native:
    """The client's request exactly as sent, in its own protocol (`openai`, `anthropic`).

    `body` has Symphony's own routing keys removed; `headers` are the protocol headers worth
    forwarding to an upstream of the same protocol (e.g. `anthropic-beta`). A layer that
    changes the request's messages or options must drop `native` (else the upstream would
    get the client's original body, not the change).
    """

    protocol: str
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """Every optional part of a chat request; defaults mean "not asked for"."""

    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    n: int = 1
    stop: tuple[str, ...] = ()
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: Mapping[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    top_k: int | None = None
    user: str | None = None
    reasoning_effort: str | None = None
    native: Native | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer of a completion (`n` > 1 gives several)."""

    index: int
    text: str
    finish_reason: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    logprobs: Any = None
    refusal: str | None = None


def data_url(url: str) -> tuple[str, str] | None:
    """Split a base64 `data:` URL into (media type, data); None for any other URL."""
    if not url.startswith("data:"):
        return None
    head, sep, data = url[5:].partition(",")
    if not sep or not head.endswith(";base64"):
        return None
    return head[: -len(";base64")] or "application/octet-stream", data
