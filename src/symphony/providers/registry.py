"""Build the adapter for a wire protocol: vendors are policy entries, protocols are code."""

from __future__ import annotations

from typing import Final

from symphony.providers.adapter import HttpAdapter
from symphony.providers.anthropic import AnthropicProvider
from symphony.providers.base import Provider
from symphony.providers.gemini import GeminiProvider
from symphony.providers.openai import OpenAIProvider
from symphony.providers.transport import HttpTransport

__all__ = ["PROTOCOLS", "UnknownProtocolError", "make_provider"]

_ADAPTERS: Final[dict[str, type[HttpAdapter]]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "gemini": GeminiProvider,
}
PROTOCOLS: Final[tuple[str, ...]] = tuple(_ADAPTERS)


class UnknownProtocolError(ValueError):
    """A policy named a wire protocol no adapter speaks."""

    def __init__(self, protocol: str) -> None:
        super().__init__(
            f"unknown provider protocol {protocol!r}; expected one of: {', '.join(PROTOCOLS)}"
        )
        self.protocol = protocol


def make_provider(
    protocol: str, base_url: str, api_key: str | None, transport: HttpTransport
) -> Provider:
    """Return the adapter for ``protocol`` talking to ``base_url`` through ``transport``."""
    try:
        adapter = _ADAPTERS[protocol]
    except KeyError:
        raise UnknownProtocolError(protocol) from None
    return adapter(base_url, api_key, transport)
