"""Every error becomes JSON naming what was wrong and where; nothing returns a bare 500."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from symphony.errors import NoEligibleModelError, RateLimitedError, SymphonyError, ValidationFailed

log = logging.getLogger("symphony.api")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, default=str),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _field(e: dict[str, Any]) -> dict[str, Any]:
    loc = tuple(e.get("loc", ()))
    if e.get("type") == "json_invalid":
        # FastAPI reports the character offset as if it were a list index: name it plainly.
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (e.get("ctx") or {}).get("error", "")
        message = f"malformed JSON{where}" + (f": {reason}" if reason else "")
        return {"path": "body", "message": message, "type": "json_invalid"}
    return {"path": field_path(loc), "message": e.get("msg", ""), "type": e.get("type", "")}


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    fields = [_field(e) for e in errors]
    summary = "; ".join(f"{f['path']}: {f['message']}" for f in fields[:5])
    return {
        "error": {
            "code": "validation_error",
            "message": summary or "invalid request",
            "fields": fields,
        }
    }


def install_error_handlers(app: FastAPI, on_error: Any = None) -> None:
    def count(request: Request, code: str) -> None:
        if on_error is not None:
            on_error(request, code)

    @app.exception_handler(SymphonyError)
    async def _domain(request: Request, exc: SymphonyError) -> Response:
        count(request, exc.code)
        if isinstance(exc, NoEligibleModelError) and isinstance(exc.detail, dict):
            body = {"error": {"code": exc.code, "message": exc.message}, **exc.detail}
            return json_response(body, exc.status)
        detail = exc.detail
        if isinstance(exc, ValidationFailed) and isinstance(detail, dict) and "fields" in detail:
            # Same shape as request validation: error.fields[] with a path each.
            fields = [{"type": "value_error", **f} for f in detail["fields"]]
            error = {"code": exc.code, "message": exc.message, "fields": fields}
            return json_response({"error": error}, exc.status)
        headers = None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(max(1, round(exc.retry_after_s)))}
        return json_response(exc.to_dict(), exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        count(request, "validation_error")
        return json_response(validation_body(list(exc.errors())), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        count(request, code)
        return json_response(
            {"error": {"code": code, "message": str(exc.detail)}},
            exc.status_code,
            getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        count(request, "internal_error")
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return json_response(
            {
                "error": {
                    "code": "internal_error",
                    "message": f"internal error ({type(exc).__name__}); see server log",
                }
            },
            500,
        )
