"""A deadline for reading the request body: a client that announces a body (Content-Length
or chunked) and never sends it gets a 408 instead of holding a connection and a worker.

The clock starts at the first read of the body; the whole body must have arrived
`timeout_s` later (SYMPHONY_BODY_READ_TIMEOUT_S). Requests without a body pass untouched.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from symphony.api.limits import BodyRefused, run_guarded

__all__ = ["BodyTimeoutMiddleware"]


class BodyTimeoutMiddleware:
    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _announces_body(scope):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        timeout_s = self.timeout_s
        deadline: float | None = None
        complete = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:  # the body is in: later reads wait for a disconnect, unbounded
                return await receive()
            if deadline is None:
                deadline = loop.time() + timeout_s
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                message_text = (
                    f"the request body did not arrive within {timeout_s:g}s"
                    " (SYMPHONY_BODY_READ_TIMEOUT_S)"
                )
                raise BodyRefused(408, "request_timeout", message_text, close=True) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await run_guarded(self.app, scope, timed_receive, send)


def _announces_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value not in (b"0", b"")
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return True
    return False
