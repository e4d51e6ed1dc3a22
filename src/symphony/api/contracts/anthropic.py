"""The Anthropic-compatible surface: `/v1/messages`, its stream events and error shape."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from symphony.api.contracts.base import Wire, ref, sse_content

StopReason = Literal["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal"]
AnthropicErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
]


class AnthropicError(Wire):
    type: AnthropicErrorType
    message: str


class AnthropicErrorBody(Wire):
    """Anthropic's error shape, answered on `/v1/messages` (and in its streams)."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": "max_tokens: required"},
                }
            ]
        }
    }
    type: Literal["error"]
    error: AnthropicError


class TextBlock(Wire):
    type: Literal["text"]
    text: str


class ToolUseBlock(Wire):
    type: Literal["tool_use"]
    id: str
    name: str
    input: Any = Field(description="the arguments, a JSON object")


class MessageUsage(Wire):
    input_tokens: int
    output_tokens: int


class AnthropicMessage(Wire):
    """Anthropic's `message` (the id embeds Symphony's audit id; `model` is the policy's)."""

    id: str = Field(examples=["msg_aud_Qm9vYmFyYmF6cXV4cXV1"])
    type: Literal["message"]
    role: Literal["assistant"]
    model: str
    content: list[TextBlock | ToolUseBlock]
    stop_reason: StopReason | None
    stop_sequence: str | None
    usage: MessageUsage


class MessageStart(Wire):
    type: Literal["message_start"]
    message: AnthropicMessage


class BlockStart(Wire):
    type: Literal["content_block_start"]
    index: int
    content_block: TextBlock | ToolUseBlock


class TextDeltaBody(Wire):
    type: Literal["text_delta"]
    text: str


class JsonDeltaBody(Wire):
    type: Literal["input_json_delta"]
    partial_json: str


class BlockDelta(Wire):
    type: Literal["content_block_delta"]
    index: int
    delta: TextDeltaBody | JsonDeltaBody


class BlockStop(Wire):
    type: Literal["content_block_stop"]
    index: int


class StopDelta(Wire):
    stop_reason: StopReason | None
    stop_sequence: str | None


class MessageDelta(Wire):
    type: Literal["message_delta"]
    delta: StopDelta
    usage: MessageUsage


class MessageStop(Wire):
    type: Literal["message_stop"]


class Ping(Wire):
    type: Literal["ping"]


MESSAGE_EVENTS = sse_content(
    {
        "message_start": ref(MessageStart),
        "content_block_start": ref(BlockStart),
        "content_block_delta": ref(BlockDelta),
        "content_block_stop": ref(BlockStop),
        "message_delta": ref(MessageDelta),
        "message_stop": ref(MessageStop),
        "ping": ref(Ping),
        "error": ref(AnthropicErrorBody),
    },
    "stream=true: Anthropic's event sequence. A stream cut off after text was sent ends with"
    " stop_reason `max_tokens` and an `error` event instead of `message_stop`",
    example=(
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_aud_x",'
        '"type":"message","role":"assistant","model":"anthropic/claude-pro","content":[],'
        '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":0}}}'
        "\n\n"
    ),
)
