"""Background probes of every configured upstream; the health endpoint reads the cache."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from symphony.clock import Clock
from symphony.policy.model import ModelSpec, PolicySnapshot
from symphony.providers.credentials import Credentials


def service_key(spec: ModelSpec) -> str:
    """'ollama' for local/ollama, 'litellm' for litellm/proxy, else the provider."""
    if spec.provider == "local":
        return spec.name.split("/", 1)[1]
    return spec.provider


def upstreams(snapshot: PolicySnapshot) -> dict[str, ModelSpec]:
    """One representative model per upstream base URL, keyed by a readable service name."""
    out: dict[str, ModelSpec] = {}
    seen: dict[str, str] = {}
    for spec in snapshot.models:
        if spec.endpoint is None or spec.endpoint.base_url in seen:
            continue
        key = service_key(spec)
        if key in out:
            key = f"{key}:{spec.name.split('/', 1)[-1]}"
        seen[spec.endpoint.base_url] = key
        out[key] = spec
    return out


def probe_url(spec: ModelSpec) -> str:
    assert spec.endpoint is not None
    base = spec.endpoint.base_url
    if spec.endpoint.protocol == "anthropic":
        return f"{base}/v1/models"
    return f"{base}/models"


async def probe_all(
    snapshot: PolicySnapshot, credentials: Credentials, clock: Clock, timeout_s: float
) -> dict[str, dict[str, Any]]:
    """Probe every upstream concurrently; any HTTP answer below 500 counts as reachable."""
    targets = upstreams(snapshot)

    async def one(
        client: httpx.AsyncClient, key: str, spec: ModelSpec
    ) -> tuple[str, dict[str, Any]]:
        assert spec.endpoint is not None
        headers: dict[str, str] = {}
        secret = credentials.key_for(spec)
        if secret:
            if spec.endpoint.protocol == "anthropic":
                headers = {"x-api-key": secret, "anthropic-version": "2023-06-01"}
            elif spec.endpoint.protocol == "gemini":
                headers = {"x-goog-api-key": secret}
            else:
                headers = {"authorization": f"Bearer {secret}"}
        started = time.perf_counter()
        result: dict[str, Any] = {
            "base_url": spec.endpoint.base_url,
            "checked_at": clock.now().isoformat().replace("+00:00", "Z"),
        }
        try:
            response = await client.get(probe_url(spec), headers=headers)
            result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            result["ok"] = response.status_code < 500
            result["status"] = response.status_code
            if not result["ok"]:
                result["error"] = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            result.update(ok=False, latency_ms=None, error=type(exc).__name__)
        return key, result

    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
        pairs = await asyncio.gather(*(one(client, k, s) for k, s in targets.items()))
    return dict(pairs)
