"""A scriptable OpenAI-wire upstream on a real local port (imported by security tests)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from security_app import edit_yaml, model_entry


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    body = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + orjson.dumps(body) + b"\n\n"


COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "done"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}  # fmt: skip


@dataclass
class Upstream:
    base_url: str = ""
    # Scripted answers for non-streaming calls: "ok" or "echo503" (echoes the prompt).
    script: deque[str] = field(default_factory=deque)
    seen: list[dict[str, Any]] = field(default_factory=list)
    first_sent: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    more_sent: int = 0


def make_app(up: Upstream) -> web.Application:
    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        up.seen.append({"headers": dict(request.headers), "body": body})
        prompt = body["messages"][-1]["content"]
        if body.get("stream"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(chunk("one"))
            up.first_sent.set()
            await asyncio.wait_for(up.release.wait(), 10)
            for word in (" two", " three"):
                await resp.write(chunk(word))
                up.more_sent += 1
            await resp.write(chunk(None, "stop") + b"data: [DONE]\n\n")
            return resp
        mode = up.script.popleft() if up.script else "ok"
        if mode == "echo503":
            error = {"error": {"message": f"overloaded while handling: {prompt}"}}
            return web.json_response(error, status=503)
        return web.json_response(COMPLETION)

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    return app


@asynccontextmanager
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream()
    runner = web.AppRunner(make_app(up))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    up.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield up
    finally:
        up.release.set()
        await runner.cleanup()


def point_ollama_at(policy_dir: Path, base_url: str) -> None:
    def change(doc: dict[str, Any]) -> None:
        model_entry(doc, "local/ollama")["endpoint"]["base_url"] = base_url

    edit_yaml(policy_dir / "router.policy.yml", change)
