"""The one token estimator: used wherever no upstream has counted tokens for us.

One rule everywhere (planner, executor, provider adapters, simulator): a token is about
four characters, rounded up, so an estimate never undercounts a partial token. A prompt
costs at least one token (every upstream bills a request with an empty message for its
role and framing); generated text of no characters costs none.
"""

from __future__ import annotations

__all__ = ["CHARS_PER_TOKEN", "estimate_prompt_tokens", "estimate_tokens"]

CHARS_PER_TOKEN = 4


def estimate_tokens(chars: int) -> int:
    """Estimate tokens of generated text: ceil(chars / 4), 0 for no text."""
    if chars <= 0:
        return 0
    return -(-chars // CHARS_PER_TOKEN)


def estimate_prompt_tokens(chars: int) -> int:
    """Estimate tokens of a prompt: ceil(chars / 4), at least 1."""
    return max(1, estimate_tokens(chars))
