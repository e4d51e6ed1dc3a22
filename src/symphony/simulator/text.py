"""Deterministic replies and token counts for simulated completions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symphony.kit.tokens import estimate_prompt_tokens
from symphony.simulator.config import DEFAULT_REPLY

ECHO_WORDS = 8


class _Template(dict[str, str]):
    """format_map mapping that leaves unknown `{fields}` as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True, slots=True)
class Completion:
    """A rendered reply: full text, streaming pieces and token counts."""

    text: str
    pieces: list[str]
    prompt_tokens: int
    completion_tokens: int
    truncated: bool

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


def make_completion(
    template: str | None,
    model: str,
    last_user: str,
    prompt_chars: int,
    max_tokens: int | None,
) -> Completion:
    """Render the reply, cut it at `max_tokens` words, and count tokens (1 word = 1 token)."""
    words = render_reply(template, model, last_user).split()
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
