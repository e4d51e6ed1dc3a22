"""The simulator's aiohttp application: one port, protocol chosen by path prefix."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from symphony.clock import Clock, SystemClock
from symphony.simulator import anthropic_wire, gemini_wire, openai_wire
from symphony.simulator.anthropic_wire import AnthropicWire
from symphony.simulator.config import SimulatorConfig
from symphony.simulator.control import add_control_routes
from symphony.simulator.embeddings import gemini_embed, openai_embed
from symphony.simulator.gemini_wire import GeminiWire
from symphony.simulator.openai_wire import OpenAIWire
from symphony.simulator.pipeline import STATE, serve
from symphony.simulator.state import SimState
from symphony.simulator.wire import json_response

OPENAI = OpenAIWire("openai")
OLLAMA = OpenAIWire("ollama", fingerprint="fp_ollama")
ANTHROPIC = AnthropicWire()
GEMINI = GeminiWire()
MAX_BODY = 32 * 1024 * 1024


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


async def _captured(request: web.Request) -> Any:
    body = await _body(request)
    request.app[STATE].capture(request.path, body, request.headers)
    return body


async def _chat(request: web.Request, wire: OpenAIWire) -> web.StreamResponse:
    parsed = openai_wire.parse(await _captured(request))
    if isinstance(parsed, web.Response):
        return parsed
    return await serve(request, wire, parsed)


async def openai_chat(request: web.Request) -> web.StreamResponse:
    """POST /openai/v1/chat/completions."""
    return await _chat(request, OPENAI)


async def ollama_chat(request: web.Request) -> web.StreamResponse:
    """POST /ollama/v1/chat/completions (Ollama's OpenAI-compatible surface)."""
    return await _chat(request, OLLAMA)


async def openai_embeddings(request: web.Request) -> web.StreamResponse:
    """POST /openai/v1/embeddings."""
    return await openai_embed(request, OPENAI)


async def ollama_embeddings(request: web.Request) -> web.StreamResponse:
    """POST /ollama/v1/embeddings (Ollama's OpenAI-compatible surface)."""
    return await openai_embed(request, OLLAMA)


async def anthropic_messages(request: web.Request) -> web.StreamResponse:
    """POST /anthropic/v1/messages."""
    denied = anthropic_wire.check_headers(request.headers)
    if denied is not None:
        return denied
    parsed = anthropic_wire.parse(await _captured(request))
    if isinstance(parsed, web.Response):
        return parsed
    return await serve(request, ANTHROPIC, parsed)


async def gemini_generate(request: web.Request) -> web.StreamResponse:
    """POST /gemini/v1beta/models/{model}:generateContent and :streamGenerateContent."""
    denied = gemini_wire.check_key(request.headers, request.query)
    if denied is not None:
        return denied
    model, _, method = request.match_info["target"].rpartition(":")
    if method in {"embedContent", "batchEmbedContents"} and model:
        return await gemini_embed(request, model, method)
    if method not in {"generateContent", "streamGenerateContent"} or not model:
        return gemini_wire.bad_request(f"Unknown method {method!r}.")
    stream = method == "streamGenerateContent"
    parsed = gemini_wire.parse(model, await _captured(request), stream)
    if isinstance(parsed, web.Response):
        return parsed
    if stream and request.query.get("alt") != "sse":
        return await serve(request, GEMINI, parsed, render=GEMINI.json_array)
    return await serve(request, GEMINI, parsed)


def _served(state: SimState, protocols: frozenset[str]) -> dict[str, str]:
    return {
        name: ms.spec.vendor or ms.spec.protocol
        for name, ms in state.models.items()
        if ms.spec.protocol in protocols
    }


async def openai_models(request: web.Request) -> web.Response:
    """GET /openai/v1/models and /ollama/v1/models."""
    state = request.app[STATE]
    created = int(state.now())
    owners = _served(state, OPENAI.serves)
    listing = {name: (owner, created) for name, owner in owners.items()}
    return json_response(200, openai_wire.models_list(listing))


async def ollama_tags(request: web.Request) -> web.Response:
    """GET /ollama/api/tags (Ollama's health probe and model list)."""
    state = request.app[STATE]
    names = list(_served(state, frozenset({"ollama"})))
    models = [
        {
            "name": name,
            "model": name,
            "modified_at": "2025-01-01T00:00:00Z",
            "size": 4_920_753_328,
            "digest": "0" * 64,
            "details": {"format": "gguf", "family": "llama", "parameter_size": "8.0B"},
        }
        for name in names
    ]
    return json_response(200, {"models": models})


async def gemini_models(request: web.Request) -> web.Response:
    """GET /gemini/v1beta/models."""
    state = request.app[STATE]
    names = list(_served(state, GEMINI.serves))
    embedding = frozenset(n for n in names if state.models[n].spec.kind == "embedding")
    return json_response(200, gemini_wire.models_list(names, embedding))


async def anthropic_models(request: web.Request) -> web.Response:
    """GET /anthropic/v1/models (needs `x-api-key` and `anthropic-version`, as the real one)."""
    denied = anthropic_wire.check_headers(request.headers)
    if denied is not None:
        return denied
    names = list(_served(request.app[STATE], ANTHROPIC.serves))
    return json_response(200, anthropic_wire.models_list(names))


async def health(request: web.Request) -> web.Response:
    """GET /healthz."""
    return json_response(200, {"status": "ok", "models": len(request.app[STATE].models)})


def build_simulator_app(config: SimulatorConfig, *, clock: Clock | None = None) -> web.Application:
    """Build the simulator app; `clock` (default system time) drives windows and headers."""
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE] = SimState(config, clock if clock is not None else SystemClock())
    router = app.router
    router.add_post("/openai/v1/chat/completions", openai_chat)
    router.add_get("/openai/v1/models", openai_models)
    router.add_post("/ollama/v1/chat/completions", ollama_chat)
    router.add_post("/openai/v1/embeddings", openai_embeddings)
    router.add_post("/ollama/v1/embeddings", ollama_embeddings)
    router.add_get("/ollama/v1/models", openai_models)
    router.add_get("/ollama/api/tags", ollama_tags)
    router.add_post("/anthropic/v1/messages", anthropic_messages)
    router.add_get("/anthropic/v1/models", anthropic_models)
    router.add_post("/gemini/v1beta/models/{target}", gemini_generate)
    router.add_get("/gemini/v1beta/models", gemini_models)
    router.add_get("/healthz", health)
    add_control_routes(app)
    return app
