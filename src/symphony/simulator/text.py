"""Deterministic replies and token counts for simulated completions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from symphony.kit.tokens import estimate_prompt_tokens, estimate_tokens
from symphony.simulator.config import DEFAULT_REPLY

ECHO_WORDS = 8


class _Template(dict[str, str]):
    """format_map mapping that leaves unknown `{fields}` as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True, slots=True)
class SimCall:
    """A tool call the simulated model makes; `arguments` is JSON text."""

    id: str
    name: str
    arguments: str

    @property
    def pieces(self) -> list[str]:
        """The arguments cut in about four pieces, as a stream delivers them."""
        step = max(1, -(-len(self.arguments) // 4))
        return [self.arguments[i : i + step] for i in range(0, len(self.arguments), step)]


@dataclass(frozen=True, slots=True)
class Completion:
    """A rendered reply: full text, streaming pieces, tool calls and token counts."""

    text: str
    pieces: list[str]
    prompt_tokens: int
    completion_tokens: int
    truncated: bool
    tool_calls: tuple[SimCall, ...] = ()

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def content_text(content: Any) -> str:
    """Flatten a message `content` (string or list of text parts) into text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str):
                    parts.append(text)
        return " ".join(parts)
    return ""


def render_reply(template: str | None, model: str, last_user: str) -> str:
    """Fill the reply template: {model}, {words} (first words of the last user message)."""
    words = " ".join(last_user.split(None, ECHO_WORDS)[:ECHO_WORDS])
    if template is None:
        return DEFAULT_REPLY.format(model=model, words=words).rstrip()
    return template.format_map(_Template(model=model, words=words, prompt=last_user)).rstrip()


def _reply_text(template: str | None, model: str, last_user: str, extras: Any, choice: int) -> str:
    text = render_reply(template, model, last_user)
    if extras is None:
        return text
    if extras.tool_result is not None:
        text = f"Simulated {model} answer from the tool result: {extras.tool_result}"
    if extras.images:
        text += f" (I see {extras.images} image{'s' if extras.images > 1 else ''})"
    if extras.audio:
        text += f" (I hear {extras.audio} audio clip{'s' if extras.audio > 1 else ''})"
    if choice:
        text += f" (choice {choice + 1})"
    if extras.json is not None:
        from symphony.simulator.behave import sample

        shape = extras.json if isinstance(extras.json, dict) else None
        words = " ".join(last_user.split()[:ECHO_WORDS])
        value = sample(shape, words) if shape is not None else {"answer": text}
        text = json.dumps(value)
    return text


def make_completion(
    template: str | None,
    model: str,
    last_user: str,
    prompt_chars: int,
    max_tokens: int | None,
    extras: Any = None,
    choice: int = 0,
    call_id: str = "call_sim",
) -> Completion:
    """Render the reply (or a tool call, see `behave`), cut it at `max_tokens` words, and
    count tokens (1 word = 1 token; a tool call's arguments by the token estimator)."""
    if extras is not None:
        tool = extras.tool_to_call()
        if tool is not None:
            from symphony.simulator.behave import sample

            words_in = " ".join(last_user.split()[:ECHO_WORDS])
            args = json.dumps(sample(tool.schema, words_in), separators=(",", ":"))
            return Completion(
                text="",
                pieces=[],
                prompt_tokens=estimate_prompt_tokens(prompt_chars),
                completion_tokens=estimate_tokens(len(tool.name) + len(args)),
                truncated=False,
                tool_calls=(SimCall(f"{call_id}_{choice}", tool.name, args),),
            )
    words = _reply_text(template, model, last_user, extras, choice).split()
    truncated = False
    if max_tokens is not None and 0 < max_tokens < len(words):
        words = words[:max_tokens]
        truncated = True
    pieces = [words[0]] + [" " + w for w in words[1:]] if words else []
    return Completion(
        text=" ".join(words),
        pieces=pieces,
        prompt_tokens=estimate_prompt_tokens(prompt_chars),
        completion_tokens=len(words),
        truncated=truncated,
    )
