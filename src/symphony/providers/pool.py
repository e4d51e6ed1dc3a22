"""One adapter per (protocol, base URL, key) over one shared pooled transport."""

from __future__ import annotations

import asyncio

from symphony.policy.model import ModelSpec
from symphony.providers.base import Provider
from symphony.providers.credentials import Credentials
from symphony.providers.registry import make_provider
from symphony.providers.transport import AiohttpTransport, HttpTransport


class ProviderPool:
    """Adapters are cheap; the transport's per-upstream connection pools are what we keep."""

    def __init__(self, credentials: Credentials, transport: HttpTransport | None = None) -> None:
        self.credentials = credentials
        self.transport: HttpTransport = transport or AiohttpTransport()
        self._providers: dict[tuple[str, str, str | None], Provider] = {}

    def for_model(self, spec: ModelSpec) -> Provider:
        if spec.endpoint is None:
            raise ValueError(f"{spec.name} has no endpoint")
        key = self.credentials.key_for(spec)
        ident = (spec.endpoint.protocol, spec.endpoint.base_url, key)
        provider = self._providers.get(ident)
        if provider is None:
            provider = make_provider(
                spec.endpoint.protocol, spec.endpoint.base_url, key, self.transport
            )
            self._providers[ident] = provider
        return provider

    async def aclose(self) -> None:
        providers = list(self._providers.values())
        self._providers.clear()
        await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
        await self.transport.aclose()
