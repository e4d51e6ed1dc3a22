"""Pure-ASGI guards on the request body: a size limit (413 before the body is read past it)
and, in `body_timeout.py`, a read deadline (408). Both refuse by raising `BodyRefused` from
the wrapped `receive`; `run_guarded` answers it unless the response has already started."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from symphony.api.errors import Problem, error_bytes


class BodyRefused(HTTPException):
    """A body guard's refusal. An HTTPException so FastAPI's body parsing re-raises it (a
    plain exception would become a 400) and the app's handler answers with its status."""

    def __init__(self, status: int, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(status, message)
        self.code = code
        self.message = message
        self.close = close  # also ask the client to close the connection


async def send_refusal(scope: Scope, send: Send, refused: BodyRefused) -> None:
    body = error_bytes(Problem(refused.status_code, refused.code, refused.message), scope["path"])
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if refused.close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def run_guarded(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run `app` with a guarded `receive`; a refusal before the response started is answered
    here (after it started, it propagates like any error)."""
    started = False

    async def tracked_send(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, receive, tracked_send)
    except BodyRefused as refused:
        if started:
            raise
        await send_refusal(scope, send, refused)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await send_refusal(scope, send, self._too_large())
                return
        seen = 0
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._too_large()
            return message

        await run_guarded(self.app, scope, limited_receive, send)

    def _too_large(self) -> BodyRefused:
        return BodyRefused(413, "payload_too_large", f"request body exceeds {self.limit} bytes")
