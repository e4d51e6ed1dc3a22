"""A deadline for reading the request body: a client that announces a body (Content-Length
or chunked) and never sends it gets a 408 instead of holding a connection and a worker.

The clock starts at the first read of the body; the whole body must have arrived
`timeout_s` later (SYMPHONY_BODY_READ_TIMEOUT_S). Requests without a body pass untouched.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from symphony.api.errors import Problem, error_bytes

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
        started = False

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
                raise _BodyTimeout(timeout_s) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except _BodyTimeout:
            if started:
                raise
            await _reject(scope, send, timeout_s)


def _announces_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value not in (b"0", b"")
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return True
    return False


async def _reject(scope: Scope, send: Send, timeout_s: float) -> None:
    message = (
        f"the request body did not arrive within {timeout_s:g}s (SYMPHONY_BODY_READ_TIMEOUT_S)"
    )
    body = error_bytes(Problem(408, "request_timeout", message), scope["path"])
    await send(
        {
            "type": "http.response.start",
            "status": 408,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTimeout(HTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it (like the body limit's 413)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(408, _message(timeout_s))


def _message(timeout_s: float) -> str:
    return f"the request body did not arrive within {timeout_s:g}s (SYMPHONY_BODY_READ_TIMEOUT_S)"
