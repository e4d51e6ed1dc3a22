"""Background probes of every configured upstream; the health endpoint reads the cache."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from symphony.clock import Clock
from symphony.policy.model import ModelSpec, PolicySnapshot
from symphony.providers.credentials import Credentials

log = logging.getLogger("symphony.providers.health")


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


@dataclass(frozen=True, slots=True)
class Probe:
    """What to ask an upstream, and what it answers when healthy."""

    url: str
    headers: dict[str, str]
    expect: int = 200


def probe_for(spec: ModelSpec, secret: str | None) -> Probe:
    """The request a healthy upstream of this protocol answers with `expect` (its model list).

    openai: `GET {base}/models` with `Authorization: Bearer` (OpenAI, Ollama's /v1, LiteLLM,
    xAI, DeepSeek…); anthropic: `GET {base}/v1/models` with `x-api-key` and
    `anthropic-version` (a base already ending in /v1 is tolerated, as the adapter does);
    gemini: `GET {base}/models` with `x-goog-api-key`. Each answers 200 when up and the key
    is accepted.
    """
    assert spec.endpoint is not None
    base = spec.endpoint.base_url.rstrip("/")
    protocol = spec.endpoint.protocol
    if protocol == "anthropic":
        url = f"{base}/models" if base.endswith("/v1") else f"{base}/v1/models"
        headers = {"anthropic-version": "2023-06-01"}
        if secret:
            headers["x-api-key"] = secret
        return Probe(url, headers)
    if protocol == "gemini":
        return Probe(f"{base}/models", {"x-goog-api-key": secret} if secret else {})
    return Probe(f"{base}/models", {"authorization": f"Bearer {secret}"} if secret else {})


def verdict(spec: ModelSpec, probe: Probe, status: int, has_key: bool) -> str | None:
    """None when `status` is what a healthy upstream answers, else why it counts as down."""
    if status == probe.expect:
        return None
    assert spec.endpoint is not None
    protocol = spec.endpoint.protocol
    head = f"HTTP {status} from GET {probe.url}"
    env = spec.endpoint.api_key_env
    if status in (401, 403):
        if not has_key and env:
            return f"{head}: no key (set {env})"
        return f"{head}: the key was refused" + (f" ({env})" if env else "")
    if status == 404:
        return f"{head}: base_url does not lead to the {protocol} API"
    if status == 429:
        return f"{head}: rate limited"
    return f"{head}: a healthy {protocol} upstream answers {probe.expect}"


async def probe_all(
    snapshot: PolicySnapshot, credentials: Credentials, clock: Clock, timeout_s: float
) -> dict[str, dict[str, Any]]:
    """Probe every upstream concurrently; up only when it answers what a healthy one does."""
    targets = upstreams(snapshot)

    async def one(
        session: aiohttp.ClientSession, key: str, spec: ModelSpec
    ) -> tuple[str, dict[str, Any]]:
        assert spec.endpoint is not None
        secret = credentials.key_for(spec)
        probe = probe_for(spec, secret)
        started = time.perf_counter()
        result: dict[str, Any] = {
            "base_url": spec.endpoint.base_url,
            "checked_at": clock.now().isoformat().replace("+00:00", "Z"),
        }
        try:
            async with session.get(probe.url, headers=probe.headers, allow_redirects=False) as r:
                status = r.status
            result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            result["status"] = status
            error = verdict(spec, probe, status, secret is not None)
            result["ok"] = error is None
            if error is not None:
                result["error"] = error
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            result.update(ok=False, latency_ms=None, error=f"GET {probe.url}: {reason}")
        log.debug("health probe %s: GET %s -> %s", key, probe.url, result.get("error") or "ok")
        return key, result

    timeout = aiohttp.ClientTimeout(total=timeout_s)
    # aiohttp's client logs nothing per request (httpx logs every one at INFO).
    async with aiohttp.ClientSession(timeout=timeout) as session:
        pairs = await asyncio.gather(*(one(session, k, s) for k, s in targets.items()))
    return dict(pairs)
