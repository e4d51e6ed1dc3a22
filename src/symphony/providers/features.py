"""What a chat request needs of a model, and what each wire protocol cannot honour.

A request needs *capabilities* (tools, vision, audio, JSON modes) that a model declares in
the policy, and it may carry *fields* that only some wire protocols can express (`seed`,
`logit_bias`…). The planner denies a candidate that lacks either, with the reason in
words, so a field is refused (a 400 naming it when no candidate is left) and never dropped.

A field is always honoured by an upstream of the client's own protocol: its body is sent
as it came (`chat.Native`). The tables below say what translation cannot carry; the
reasons are shown to the client. docs/api.md has the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from symphony.kit.tokens import estimate_prompt_tokens
from symphony.policy.model import Capability
from symphony.providers.base import ChatMessage
from symphony.providers.chat import ChatOptions

__all__ = [
    "ANTHROPIC_FIELDS",
    "EMBEDDING_FIELDS",
    "IMAGE_CHARS",
    "OPENAI_FIELDS",
    "Requirements",
    "prompt_chars",
    "refusals",
    "requirements",
]

# Fields each inbound protocol's translation understands; anything else in a client's body
# passes through to an upstream of its own protocol and is refused for the others.
OPENAI_FIELDS: Final = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "n",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "user",
        "metadata",
        "reasoning_effort",
    }
)
EMBEDDING_FIELDS: Final = frozenset({"model", "input", "dimensions", "encoding_format", "user"})
ANTHROPIC_FIELDS: Final = frozenset(
    {
        "model",
        "messages",
        "system",
        "max_tokens",
        "metadata",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
    }
)

_NO_LOGPROBS = "has no token log probabilities"
REFUSED: Final[dict[str, dict[str, str]]] = {
    "anthropic": {
        "n": "the Messages API answers one choice per call",
        "seed": "the Messages API has no seed",
        "presence_penalty": "the Messages API has no presence penalty",
        "frequency_penalty": "the Messages API has no frequency penalty",
        "logit_bias": "the Messages API has no logit bias",
        "logprobs": f"the Messages API {_NO_LOGPROBS}",
        "top_logprobs": f"the Messages API {_NO_LOGPROBS}",
        "reasoning_effort": "no mapping to extended thinking is made",
        "input_audio": "the Messages API takes no audio",
        "response_format": "JSON mode on the Messages API is a forced tool: not with tools",
    },
    "gemini": {
        "logit_bias": "Gemini has no logit bias",
        "logprobs": "Gemini's log probabilities are not translated",
        "top_logprobs": "Gemini's log probabilities are not translated",
        "reasoning_effort": "no mapping to Gemini's thinking budget is made",
        "parallel_tool_calls": "Gemini cannot be told to call one tool at a time",
        "image_url": "Gemini takes images inline: send a data: URL",
        "input_tokens": "Gemini embeds text, not token ids",
    },
    "openai": {
        "top_k": "Chat Completions has no top_k",
    },
}
# Refused for every upstream, the client's own protocol included: Symphony would lose part of
# the answer (Anthropic's thinking blocks and their signatures are not relayed back yet).
ALWAYS_REFUSED: Final[dict[str, str]] = {
    "thinking": "Symphony does not relay thinking blocks back yet",
}
# An image costs about this many characters' worth of prompt tokens in estimates (OpenAI
# bills 85 to ~1,100 tokens per image by size; Anthropic about width*height/750).
IMAGE_CHARS: Final = 4 * 1000


class Requirements:
    """Capabilities and protocol-dependent fields one request needs, in request order."""

    __slots__ = ("capabilities", "fields")

    def __init__(self, capabilities: tuple[Capability, ...], fields: tuple[str, ...]) -> None:
        self.capabilities = capabilities
        self.fields = fields


def requirements(
    messages: Iterable[ChatMessage], options: ChatOptions, unknown: Iterable[str] = ()
) -> Requirements:
    """What `messages` and `options` need; `unknown` are body keys outside the known fields."""
    caps: dict[Capability, None] = {}
    fields: dict[str, None] = {}
    for m in messages:
        if m.tool_calls or m.role == "tool":
            caps["tools"] = None
        for part in m.parts:
            if part.type == "image":
                caps["vision"] = None
                if not part.url.startswith("data:"):
                    fields["image_url"] = None
            elif part.type == "audio":
                caps["audio"] = None
                fields["input_audio"] = None
    o = options
    if o.tools:
        caps["tools"] = None
    fmt = o.response_format
    if fmt is not None and fmt.type != "text":
        caps[fmt.type] = None
        if o.tools:
            fields["response_format"] = None
    present = {
        "n": o.n != 1,
        "seed": o.seed is not None,
        "presence_penalty": o.presence_penalty is not None,
        "frequency_penalty": o.frequency_penalty is not None,
        "logit_bias": o.logit_bias is not None,
        "logprobs": bool(o.logprobs),
        "top_logprobs": o.top_logprobs is not None,
        "reasoning_effort": o.reasoning_effort is not None,
        "parallel_tool_calls": o.parallel_tool_calls is False,
        "top_k": o.top_k is not None,
    }
    fields.update((name, None) for name, on in present.items() if on)
    fields.update((name, None) for name in unknown)
    return Requirements(tuple(caps), tuple(fields))


def refusals(protocol: str, wire: str | None, fields: Iterable[str]) -> list[tuple[str, str]]:
    """Each of `fields` an upstream of `protocol` cannot honour, with the reason.

    `wire` is the client's protocol: an upstream of the same protocol gets the client's own
    body, so it honours everything. Fields no table knows are the client's unknown fields.
    """
    out = [(name, ALWAYS_REFUSED[name]) for name in fields if name in ALWAYS_REFUSED]
    if protocol == wire:
        return out
    table = REFUSED.get(protocol, {})
    for name in fields:
        if name in ALWAYS_REFUSED:
            continue
        reason = table.get(name)
        if reason is None and name not in _TRANSLATED:
            reason = f"not a {wire or 'chat'} field Symphony translates to {protocol}"
        if reason is not None:
            out.append((name, reason))
    return out


_TRANSLATED: Final = frozenset(
    {name for table in REFUSED.values() for name in table}
    | OPENAI_FIELDS
    | ANTHROPIC_FIELDS
    | EMBEDDING_FIELDS
)


def prompt_chars(messages: Iterable[ChatMessage], options: ChatOptions) -> int:
    """Characters standing for the prompt's tokens: text, tool calls and definitions, images."""
    chars = 0
    for m in messages:
        chars += len(m.content)
        for part in m.parts:
            if part.type == "image":
                chars += IMAGE_CHARS
            elif part.type == "audio":
                chars += len(part.data) // 8  # base64 audio: a rough, generous share
        for call in m.tool_calls:
            chars += len(call.name) + len(call.arguments)
    for tool in options.tools:
        chars += len(tool.name) + len(tool.description or "") + len(str(tool.parameters or ""))
    return chars


def estimate_prompt(messages: Iterable[ChatMessage], options: ChatOptions) -> int:
    """Estimated prompt tokens (see `prompt_chars`)."""
    return estimate_prompt_tokens(prompt_chars(messages, options))
