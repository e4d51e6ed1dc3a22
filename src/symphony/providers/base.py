"""The one async interface every provider adapter implements, and the values it trades in.

Contract notes for callers (the executor):

* ``ChatRequest.model`` is the upstream model id; vendors are policy entries, not code.
* ``finish_reason`` uses OpenAI's vocabulary (``stop``, ``length``, ``tool_calls``,
  ``content_filter``); reasons with no OpenAI equivalent pass through lower-cased.
* ``Usage.prompt_tokens`` counts the whole prompt, cached parts included (Anthropic's
  cache-read and cache-creation tokens are added in); ``completion_tokens`` includes
  reasoning/thinking tokens, because they are billed as output.
* Every stream starts with exactly one ``StreamStart`` and ends with exactly one
  ``StreamEnd``, or raises ``ProviderError`` (with whatever was received so far).
* Failures are always ``symphony.providers.errors.ProviderError``; nothing else escapes
  ``complete``/``stream`` except cancellation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from symphony.kit.tokens import estimate_prompt_tokens, estimate_tokens
from symphony.providers.chat import ChatOptions, Choice, Part, ToolCall

if TYPE_CHECKING:
    from symphony.providers.embed import Embeddings, EmbedRequest

__all__ = [
    "NO_OPTIONS",
    "ChatMessage",
    "ChatRequest",
    "Completion",
    "Provider",
    "StreamDelta",
    "StreamEnd",
    "StreamEvent",
    "StreamStart",
    "StreamToolCall",
    "Usage",
    "estimate_usage",
]

NO_OPTIONS = ChatOptions()


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat turn; ``role`` is ``system``, ``user``, ``assistant`` or ``tool``.

    ``content`` is the turn's text (text parts joined); ``parts`` keeps the parts when the
    client sent a list (images, audio); ``tool_calls`` are an assistant turn's calls and
    ``tool_call_id`` names the call a ``tool`` turn answers.
    """

    role: str
    content: str
    parts: tuple[Part, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # SYMPHONY_MAX_UPSTREAM_RESPONSE_BYTES


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A provider-neutral chat call against one upstream model id.

    ``max_tokens`` is the client's limit, else the model's policy default, else None (the
    upstream's own default; Anthropic, which requires one, gets ``output_limit``).
    ``max_tokens_param`` (policy) names the field an OpenAI-protocol upstream wants.
    """

    model: str
    messages: tuple[ChatMessage, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    timeout_s: float = 60.0
    options: ChatOptions = NO_OPTIONS
    max_tokens_param: str | None = None
    output_limit: int | None = None
    max_response_bytes: int = MAX_RESPONSE_BYTES  # a whole answer, or a stream's total


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts for one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished non-streaming answer, with the upstream's status and lower-cased headers.

    ``text`` and ``finish_reason`` are the first choice's; ``choices`` has every choice
    with its tool calls (empty from adapters that only produced text).
    """

    text: str
    usage: Usage
    finish_reason: str | None
    status: int
    headers: Mapping[str, str]
    choices: tuple[Choice, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class StreamStart:
    """First event of every stream: the upstream accepted the call."""

    status: int
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class StreamDelta:
    """A piece of generated text (of choice ``choice``, with its logprobs if asked for)."""

    text: str
    choice: int = 0
    logprobs: Any = None


@dataclass(frozen=True, slots=True)
class StreamToolCall:
    """A piece of a tool call: ``id`` and ``name`` come first, ``arguments`` in pieces."""

    choice: int
    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Last event of a successful stream.

    ``usage_reported`` is False when the upstream never sent usage; ``usage`` is then an
    estimate (``symphony.kit.tokens``) of the prompt and the generated text.
    """

    usage: Usage
    finish_reason: str | None
    usage_reported: bool
    choices: tuple[Choice, ...] = field(default=(), compare=False)


StreamEvent = StreamStart | StreamDelta | StreamToolCall | StreamEnd


class Provider(Protocol):
    """One wire protocol spoken to one upstream base URL.

    ``complete`` bounds the whole call by ``req.timeout_s``. ``stream`` bounds connecting,
    the response headers and every silence between reads by ``req.timeout_s`` (a long
    stream that keeps talking is not cut off). ``stream`` is an async generator: closing
    or cancelling it closes the upstream connection. ``aclose`` releases the adapter's own
    resources; the transport belongs to whoever created it and is closed separately.
    """

    protocol: str

    async def complete(self, req: ChatRequest) -> Completion: ...

    def stream(self, req: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def embed(self, req: EmbedRequest) -> Embeddings: ...

    async def aclose(self) -> None: ...


def estimate_usage(messages: Iterable[ChatMessage], completion_text: str) -> Usage:
    """Estimate usage when the upstream reported none."""
    prompt_chars = sum(len(m.content) for m in messages)
    return Usage(
        prompt_tokens=estimate_prompt_tokens(prompt_chars),
        completion_tokens=estimate_tokens(len(completion_text)),
    )
