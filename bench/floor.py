"""The floor proxy: the least a FastAPI + aiohttp pass-through can cost.

One route, `POST /v1/chat/completions`, forwards the body to the upstream unchanged (one
pooled `aiohttp.ClientSession`, the connector settings Symphony's transport uses) and
returns the upstream's bytes; an event-stream answer is passed through chunk by chunk.
No parsing, no validation, no accounting: whatever Symphony costs above this is Symphony.
Served by uvicorn exactly as `symphony serve` is (uvloop + httptools, 1 worker, no access log).

    python -m bench.floor --port 9001 --upstream http://127.0.0.1:9000/openai/v1
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response, StreamingResponse


def create_floor_app(upstream: str) -> FastAPI:
    """The pass-through app; `upstream` is an OpenAI-compatible base URL (…/v1)."""
    target = upstream.rstrip("/") + "/chat/completions"
    holder: dict[str, aiohttp.ClientSession] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=256, limit_per_host=256, keepalive_timeout=30.0)
        holder["session"] = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),
        )
        try:
            yield
        finally:
            await holder["session"].close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.body()
        resp = await holder["session"].post(
            target, data=body, headers={"content-type": "application/json"}
        )
        media = resp.headers.get("content-type", "application/json")
        if not media.startswith("text/event-stream"):
            try:
                data = await resp.read()
            finally:
                resp.release()
            return Response(data, status_code=resp.status, media_type=media)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in resp.content.iter_any():
                    yield chunk
            finally:
                resp.release()

        return StreamingResponse(chunks(), status_code=resp.status, media_type=media)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="OpenAI-compatible base URL (…/v1)")
    args = parser.parse_args()
    uvicorn.run(
        create_floor_app(args.upstream),
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        access_log=False,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
