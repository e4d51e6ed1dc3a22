"""ProviderPool: one adapter per (protocol, base URL, key) over one shared transport."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from symphony.policy.loader import load_policy
from symphony.policy.model import ModelSpec, PolicySnapshot
from symphony.providers.anthropic import AnthropicProvider
from symphony.providers.credentials import Credentials
from symphony.providers.gemini import GeminiProvider
from symphony.providers.openai import OpenAIProvider
from symphony.providers.pool import ProviderPool
from symphony.providers.transport import AiohttpTransport, HttpResponse

DEMO_POLICY = Path(__file__).resolve().parents[2] / "config" / "demo.policy.yml"


class FakeTransport:
    """Never sends anything; records that its owner closed it."""

    def __init__(self) -> None:
        self.closed = 0

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes, timeout_s: float
    ) -> AbstractAsyncContextManager[HttpResponse]:
        raise AssertionError("the pool must not send requests")

    async def aclose(self) -> None:
        self.closed += 1


@pytest.fixture(scope="module")
def snapshot() -> PolicySnapshot:
    return load_policy(DEMO_POLICY.read_text(), policy_name="demo.policy.yml")


def spec(snapshot: PolicySnapshot, name: str) -> ModelSpec:
    found = snapshot.model(name)
    assert found is not None
    return found


def test_models_on_one_upstream_share_an_adapter(snapshot: PolicySnapshot) -> None:
    pool = ProviderPool(Credentials({"SYMPHONY_SIM_KEY": "k1"}), FakeTransport())
    grok = pool.for_model(spec(snapshot, "xai/grok"))
    venice = pool.for_model(spec(snapshot, "venice/api"))
    assert grok is venice  # same protocol, base URL and key: the model id travels per request
    assert grok is pool.for_model(spec(snapshot, "xai/grok"))


def test_protocols_base_urls_and_keys_get_their_own_adapters(snapshot: PolicySnapshot) -> None:
    env = {"SYMPHONY_SIM_KEY": "k1"}
    credentials = Credentials(env)
    pool = ProviderPool(credentials, FakeTransport())
    openai = pool.for_model(spec(snapshot, "openai/chatgpt-plus"))
    keyless = pool.for_model(spec(snapshot, "litellm/proxy"))  # same base URL, no key
    ollama = pool.for_model(spec(snapshot, "local/ollama"))
    anthropic = pool.for_model(spec(snapshot, "anthropic/claude-pro"))
    gemini = pool.for_model(spec(snapshot, "google/gemini-pro"))

    assert isinstance(openai, OpenAIProvider)
    assert isinstance(keyless, OpenAIProvider)
    assert isinstance(ollama, OpenAIProvider)
    assert isinstance(anthropic, AnthropicProvider)
    assert isinstance(gemini, GeminiProvider)
    assert len({id(p) for p in (openai, keyless, ollama, anthropic, gemini)}) == 5

    env["SYMPHONY_SIM_KEY"] = "k2"  # a rotated key takes effect after a refresh
    credentials.refresh()
    assert pool.for_model(spec(snapshot, "openai/chatgpt-plus")) is not openai


def test_a_model_without_an_endpoint_is_refused(snapshot: PolicySnapshot) -> None:
    pool = ProviderPool(Credentials({}), FakeTransport())
    with pytest.raises(ValueError, match="google/gemini-apps has no endpoint"):
        pool.for_model(spec(snapshot, "google/gemini-apps"))


async def test_aclose_releases_adapters_and_the_transport(snapshot: PolicySnapshot) -> None:
    transport = FakeTransport()
    pool = ProviderPool(Credentials({"SYMPHONY_SIM_KEY": "k1"}), transport)
    first = pool.for_model(spec(snapshot, "openai/chatgpt-plus"))
    await pool.aclose()
    assert transport.closed == 1
    # A pool used again after closing builds fresh adapters.
    assert pool.for_model(spec(snapshot, "openai/chatgpt-plus")) is not first


async def test_the_default_transport_is_aiohttp() -> None:
    pool = ProviderPool(Credentials({}))
    assert isinstance(pool.transport, AiohttpTransport)
    await pool.aclose()
