"""Embeddings in the OpenAI (and Ollama) and Gemini wire formats.

Vectors are deterministic unit vectors seeded by the text, so the same input always gets
the same vector and different inputs differ; `dimensions` / `outputDimensionality` cut
the vector and renormalise it, as the real endpoints do for their newer models.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct
from typing import Any

from aiohttp import web

from symphony.kit.tokens import estimate_prompt_tokens
from symphony.simulator import gemini_wire, openai_wire
from symphony.simulator.pipeline import STATE, early_fault
from symphony.simulator.state import ModelState
from symphony.simulator.wire import Wire, json_response

__all__ = ["gemini_embed", "openai_embed", "vector"]


def vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector of `size` floats (float32-exact) for `text`."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(size)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    # Round through float32 so a base64 round trip gives back exactly these numbers.
    packed = struct.pack(f"<{size}f", *(v / norm for v in values))
    return list(struct.unpack(f"<{size}f", packed))


async def _admit(
    request: web.Request, wire: Wire, model: str, kind_ok: bool
) -> ModelState | web.StreamResponse:
    state = request.app[STATE]
    ms = state.models.get(model)
    if ms is None or ms.spec.protocol not in wire.serves:
        return wire.not_found(model)
    if ms.spec.kind != "embedding" or not kind_ok:
        return wire.invalid(f"{model} is not an embedding model")
    ms.requests += 1
    fault = state.take_fault(model) if state.faults else None
    if fault is not None:
        ms.faulted += 1
        early = await early_fault(request, wire, ms, state, fault)
        if early is not None:
            return early
    return ms


def _size(ms: ModelState, asked: Any) -> int | str:
    if asked is None:
        return ms.spec.dimensions
    if isinstance(asked, bool) or not isinstance(asked, int) or asked < 1:
        return "dimensions must be a positive integer"
    if asked > ms.spec.dimensions:
        return f"dimensions must be at most {ms.spec.dimensions} for this model"
    return asked


async def openai_embed(request: web.Request, wire: openai_wire.OpenAIWire) -> web.StreamResponse:
    """POST /openai/v1/embeddings and /ollama/v1/embeddings."""
    state = request.app[STATE]
    body = await read_json(request)
    state.capture(request.path, body, request.headers)
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return openai_wire.bad_request("you must provide a model parameter", "model")
    raw = body.get("input")
    if isinstance(raw, str):
        inputs: list[Any] = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(x, int) for x in raw):
        inputs = [raw]  # one token array
    elif isinstance(raw, list) and raw:
        inputs = raw
    else:
        return openai_wire.bad_request("'input' must be a string or a non-empty array", "input")
    admitted = await _admit(request, wire, body["model"], True)
    if not isinstance(admitted, ModelState):
        return admitted
    size = _size(admitted, body.get("dimensions"))
    if isinstance(size, str):
        return openai_wire.bad_request(size, "dimensions")
    base64_out = body.get("encoding_format") == "base64"
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(str(t) for t in item)
        tokens += len(item) if isinstance(item, list) else estimate_prompt_tokens(len(item))
        values = vector(text, size)
        encoded: Any = (
            base64.b64encode(struct.pack(f"<{size}f", *values)).decode() if base64_out else values
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    admitted.account(tokens, 0)
    admitted.served += 1
    return json_response(
        200,
        {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
    )


async def gemini_embed(request: web.Request, model: str, method: str) -> web.StreamResponse:
    """POST /gemini/v1beta/models/{model}:embedContent and :batchEmbedContents."""
    state = request.app[STATE]
    body = await read_json(request)
    state.capture(request.path, body, request.headers)
    if not isinstance(body, dict):
        return gemini_wire.bad_request("Invalid JSON payload received.")
    items = body.get("requests") if method == "batchEmbedContents" else [body]
    if not isinstance(items, list) or not items:
        return gemini_wire.bad_request("* BatchEmbedContentsRequest.requests: is empty\n")
    admitted = await _admit(request, gemini_wire_instance(), model, True)
    if not isinstance(admitted, ModelState):
        return admitted
    out = []
    tokens = 0
    for item in items:
        content = item.get("content") if isinstance(item, dict) else None
        parts = content.get("parts") if isinstance(content, dict) else None
        texts = [
            p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        if not texts:
            return gemini_wire.bad_request(
                "* EmbedContentRequest.content: contents is not specified\n"
            )
        size = _size(admitted, item.get("outputDimensionality"))
        if isinstance(size, str):
            return gemini_wire.bad_request(size)
        text = " ".join(texts)
        tokens += estimate_prompt_tokens(len(text))
        out.append({"values": vector(text, size)})
    admitted.account(tokens, 0)
    admitted.served += 1
    if method == "embedContent":
        return json_response(200, {"embedding": out[0]})
    return json_response(200, {"embeddings": out})


def gemini_wire_instance() -> gemini_wire.GeminiWire:
    return gemini_wire.GeminiWire()


async def read_json(request: web.Request) -> Any:
    import orjson

    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
