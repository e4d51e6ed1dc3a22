"""LiteLLM as a client of Symphony: its OpenAI-compatible provider against `/v1`, and its
Anthropic provider against `/v1/messages` (a tool round trip each), plus embeddings.

LiteLLM is heavy to import (~7 s of CPU here) and fetches its price map from the network
unless told not to, so it is used in this one module only, offline.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import LiveServer

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
litellm: Any = pytest.importorskip("litellm")

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look a word up",
            "parameters": {
                "type": "object",
                "properties": {"word": {"type": "string"}},
                "required": ["word"],
            },
        },
    }
]
ASK = [{"role": "user", "content": "define serendipity"}]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_tool_round_trip(live_server: LiveServer, provider: str) -> None:
    base = f"{live_server.url}/v1" if provider == "openai" else live_server.url
    model = f"{provider}/openai/gpt-4o"  # LiteLLM's provider prefix, then the policy model
    common: dict[str, Any] = {"api_base": base, "api_key": "unused", "max_tokens": 200}
    first = await litellm.acompletion(model=model, messages=ASK, tools=TOOLS, **common)
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    [call] = message.tool_calls
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"word": "define serendipity"}

    history = [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "lookup", "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "a happy accident"},
    ]
    final = await litellm.acompletion(model=model, messages=history, tools=TOOLS, **common)
    assert "a happy accident" in final.choices[0].message.content
    assert final.usage.completion_tokens > 0


async def test_streaming_and_embeddings(live_server: LiveServer) -> None:
    common: dict[str, Any] = {"api_base": f"{live_server.url}/v1", "api_key": "unused"}
    stream = await litellm.acompletion(
        model="openai/openai/gpt-4o", messages=ASK, stream=True, **common
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == "Simulated gpt-4o answer: define serendipity"

    done = await litellm.aembedding(
        model="openai/openai/text-embedding-3-small", input=["one", "two"], **common
    )
    assert [len(d["embedding"]) for d in done.data] == [1536, 1536]
