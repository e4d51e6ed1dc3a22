"""A bare FastAPI JSON endpoint: the ceiling for any FastAPI route on this machine.

`POST /bare` answers a small JSON object (read through the same ORJSONResponse default
Symphony uses). `/route/plan` is compared with it (issue 6: plan ≥ 0.5 × bare).

    python -m bench.bare --port 9002
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import ORJSONResponse


def create_bare_app() -> FastAPI:
    """One route, no state."""
    app = FastAPI(default_response_class=ORJSONResponse, openapi_url=None, docs_url=None)

    @app.post("/bare")
    async def bare(request: Request) -> ORJSONResponse:
        await request.body()
        return ORJSONResponse({"ok": True, "model": "bare", "score": 0.5})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_bare_app(),
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
