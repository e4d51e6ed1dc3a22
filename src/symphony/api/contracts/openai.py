"""The OpenAI-compatible surface: chat completions, their stream chunks, the model list."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from symphony.api.contracts.base import Wire, absent, ref, sse_content
from symphony.api.contracts.errors import OpenAIErrorBody

FinishReason = Literal["stop", "length", "content_filter", "tool_calls"]


class FunctionCall(Wire):
    name: str
    arguments: str = Field(description="JSON text, as the model wrote it")


class ToolCall(Wire):
    id: str
    type: Literal["function"]
    function: FunctionCall


class AssistantMessage(Wire):
    role: Literal["assistant"]
    content: str | None = Field(description="null when the answer is only tool calls")
    refusal: str | None = absent("the model's refusal, when the upstream reports one")
    tool_calls: list[ToolCall] | None = absent("the functions the model calls")


class Choice(Wire):
    index: int
    message: AssistantMessage
    logprobs: Any = Field(description="the upstream's logprobs when asked for, else null")
    finish_reason: FinishReason


class CompletionUsage(Wire):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(Wire):
    """OpenAI's `chat.completion` (the id embeds Symphony's audit id)."""

    id: str = Field(examples=["chatcmpl-aud_Qm9vYmFyYmF6cXV4cXV1"])
    object: Literal["chat.completion"]
    created: int
    model: str = Field(description="the policy model that answered")
    system_fingerprint: str = Field(description="the policy version that planned it")
    choices: list[Choice]
    usage: CompletionUsage


class FunctionPiece(Wire):
    name: str | None = absent("in the call's first piece")
    arguments: str


class ToolCallPiece(Wire):
    index: int
    id: str | None = absent("in the call's first piece")
    type: Literal["function"] | None = absent("in the call's first piece")
    function: FunctionPiece


class ChunkDelta(Wire):
    role: Literal["assistant"] | None = absent()
    content: str | None = absent()
    tool_calls: list[ToolCallPiece] | None = absent("pieces of tool calls")


class ChunkChoice(Wire):
    index: int
    delta: ChunkDelta
    logprobs: Any = Field(description="the upstream's logprobs when asked for, else null")
    finish_reason: FinishReason | None


class ChatCompletionChunk(Wire):
    """One `data:` event of a streamed completion; with `stream_options.include_usage`
    every chunk has `usage` (null but on the last, whose `choices` is empty)."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = Field(
        None, description="present only with stream_options.include_usage"
    )


class ModelCard(Wire):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(Wire):
    """`auto` (the planner chooses) plus every executable policy model."""

    object: Literal["list"]
    data: list[ModelCard]


CHUNKS = sse_content(
    {"message": {"anyOf": [ref(ChatCompletionChunk), ref(OpenAIErrorBody)]}},
    "stream=true: `data:` chunks, then `data: [DONE]`. A stream cut off after text was sent"
    " (upstream reset, kill switch) ends with finish_reason `length`, the usage chunk if"
    " asked for, and an error event (`stream_interrupted` or `killed`) instead of [DONE]",
    example=(
        'data: {"id":"chatcmpl-aud_x","object":"chat.completion.chunk","created":1795366800,'
        '"model":"local/ollama","choices":[{"index":0,"delta":{"content":"Hello!"},'
        '"logprobs":null,"finish_reason":null}]}\n\ndata: [DONE]\n\n'
    ),
    terminator="[DONE]",
)


class Embedding(Wire):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str = Field(
        description="floats, or with encoding_format=base64 little-endian float32 in base64"
    )


class EmbeddingUsage(Wire):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(Wire):
    """OpenAI's embeddings response (`model` is the policy model that answered)."""

    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
