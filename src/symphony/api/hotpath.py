"""A direct lane for the proxied hot path: `POST /v1/chat/completions`.

Every call through Symphony pays for the framework around it. Measured here, Starlette's
router (matching across the lazily included routers), FastAPI's dependency solving and
the exception middleware layers cost about as much CPU as our own planning and
accounting. This pure-ASGI layer hands that one route straight to the same endpoint
function the FastAPI route uses (`openai_compat.chat_completions`, which validates its own
body and answers OpenAI-shaped errors), so behaviour is identical and OpenAPI still
documents it. It sits inside the security and body-limit middlewares, so auth, rate limits,
security headers and the 2 MB cap apply exactly as on every other route.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from symphony.api.errors import Problem, error_response
from symphony.api.openai_compat import chat_completions

log = logging.getLogger("symphony.api")
HOT_PATH = "/v1/chat/completions"


class HotPathMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != HOT_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        try:
            response = await chat_completions(Request(scope, receive))
        except HTTPException:
            raise  # the body limit's 413: BodyLimitMiddleware answers it
        except Exception:  # never a bare 500: the same shape the route would give
            log.exception("unhandled error on POST %s", HOT_PATH)
            problem = Problem(500, "internal_error", "internal error; see server log")
            response = error_response(problem, HOT_PATH)
        await response(scope, receive, send)
