"""One embedding attempt, and what a `/v1/embeddings` call asks of every candidate.

It runs inside the executor's own fallback loop (`Executor.embed`), so retries, fallbacks,
accounting (prompt tokens against the model's windows and price) and the audit record are
the same as for a chat call; only the call differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from symphony.execute.attempt import Try
from symphony.policy.model import ModelSpec
from symphony.providers.base import Provider
from symphony.providers.embed import Embeddings, EmbedRequest
from symphony.providers.errors import ProviderError

__all__ = ["EmbedCall", "embed_attempt"]


@dataclass(frozen=True, slots=True)
class EmbedCall:
    """The inputs to embed and the options, as the client sent them (OpenAI's shape)."""

    inputs: tuple[str | tuple[int, ...], ...]
    dimensions: int | None = None
    user: str | None = None
    native: Mapping[str, Any] | None = None  # the client's body, for OpenAI upstreams

    def request_for(self, spec: ModelSpec, timeout_s: float) -> EmbedRequest:
        """The upstream request for one candidate."""
        endpoint = spec.endpoint
        protocol = endpoint.protocol if endpoint is not None else ""
        return EmbedRequest(
            model=endpoint.model if endpoint is not None else spec.name,
            inputs=self.inputs,
            dimensions=self.dimensions,
            user=self.user if protocol == "openai" else None,
            timeout_s=timeout_s,
            native=self.native if protocol == "openai" else None,
        )


async def embed_attempt(attempt: Try, provider: Provider, req: EmbedRequest) -> Embeddings | None:
    """Embed with one candidate; record the attempt either way (None when it failed)."""
    try:
        got = await provider.embed(req)
    except ProviderError as err:
        await attempt.failed(err, err.partial_usage)
        return None
    await attempt.succeeded(
        status=got.status, usage=got.usage, text="", finish="stop", headers=got.headers
    )
    return got
