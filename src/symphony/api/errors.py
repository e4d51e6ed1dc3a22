"""Every error becomes JSON naming what was wrong and where; nothing returns a bare 500.

One renderer builds every error body, in one of two dialects chosen by the request path:
Symphony's `{"error": {code, message, fields?, detail?}}` everywhere, and OpenAI's
`{"error": {message, type, param, code}}` under `/v1` (what OpenAI clients parse). The
exception handlers, the security and body-limit middlewares, the hot path and the
OpenAI-compatible routes all describe a failure as a `Problem` and render it here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from symphony.api.contracts.errors import OpenAIErrorType
from symphony.errors import NoEligibleModelError, RateLimitedError, SymphonyError, ValidationFailed

log = logging.getLogger("symphony.api")

Dialect = Literal["symphony", "openai", "anthropic"]
OPENAI_PREFIX = "/v1"
ANTHROPIC_PATH = "/v1/messages"  # Anthropic's Messages API: its own error shape
ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
OPENAI_TYPES: dict[int, OpenAIErrorType] = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}
HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, default=str),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class Problem:
    """One failure, independent of how it is spelled on the wire.

    `fields` (invalid request fields) and `detail` (structured context) appear in
    Symphony's dialect; `param` (the offending parameter) in OpenAI's, which falls back to
    the first field's path. `extra` keys go inside `error` in both dialects (the auth
    layer's `required_role`, the limiter's `retry_after_s`); `context` keys sit beside
    `error` in Symphony's dialect only (the 409's plan explanation).
    """

    status: int
    code: str
    message: str
    fields: tuple[Mapping[str, Any], ...] | None = None
    detail: Any = None
    param: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


def dialect_of(path: str) -> Dialect:
    """Anthropic's for `/v1/messages`, OpenAI's for the rest of `/v1`, Symphony's elsewhere."""
    if path.startswith(OPENAI_PREFIX) and (len(path) == 3 or path[3] == "/"):
        if path.startswith(ANTHROPIC_PATH) and (len(path) == 12 or path[12] == "/"):
            return "anthropic"
        return "openai"
    return "symphony"


def anthropic_type(status: int) -> str:
    """Anthropic's error `type` for an HTTP status."""
    found = ANTHROPIC_TYPES.get(status)
    if found is not None:
        return found
    return "api_error" if status >= 500 else "invalid_request_error"


def openai_type(status: int) -> OpenAIErrorType:
    """OpenAI's error `type` for an HTTP status."""
    found = OPENAI_TYPES.get(status)
    if found is not None:
        return found
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(problem: Problem, dialect: Dialect) -> dict[str, Any]:
    """The error body for `problem` in `dialect`."""
    if dialect == "anthropic":
        said = {"type": anthropic_type(problem.status), "message": problem.message}
        return {"type": "error", "error": said}
    if dialect == "openai":
        param = problem.param
        if param is None and problem.fields:
            param = str(problem.fields[0].get("path"))
        openai = {
            "message": problem.message,
            "type": openai_type(problem.status),
            "param": param,
            "code": problem.code,
            **problem.extra,
        }
        return {"error": openai}
    error: dict[str, Any] = {"code": problem.code, "message": problem.message}
    if problem.fields is not None:
        error["fields"] = [dict(f) for f in problem.fields]
    if problem.detail is not None:
        error["detail"] = problem.detail
    error.update(problem.extra)
    return {"error": error, **problem.context}


def error_bytes(problem: Problem, path: str) -> bytes:
    """The encoded error body for a request to `path`."""
    return orjson.dumps(error_body(problem, dialect_of(path)), default=str)


def error_response(problem: Problem, path: str) -> Response:
    """A JSON response carrying `problem` in the dialect of `path`."""
    return Response(
        error_bytes(problem, path),
        status_code=problem.status,
        media_type="application/json",
        headers=dict(problem.headers) or None,
    )


def problem_of(exc: SymphonyError) -> Problem:
    """The Problem a domain error describes (status, code and detail are its own)."""
    detail = exc.detail
    if isinstance(exc, NoEligibleModelError) and isinstance(detail, dict):
        return Problem(exc.status, exc.code, exc.message, context=detail)
    if isinstance(exc, ValidationFailed) and isinstance(detail, dict) and "fields" in detail:
        # Same shape as request validation: error.fields[] with a path each.
        fields = tuple({"type": "value_error", **f} for f in detail["fields"])
        return Problem(exc.status, exc.code, exc.message, fields=fields)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    return Problem(exc.status, exc.code, exc.message, detail=detail, headers=headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def field_message(e: Mapping[str, Any]) -> str:
    """Pydantic's message for one invalid field; a choice among fixed values (a message
    role, an enum) also names the value given: "Input should be 'system', 'user' or
    'assistant', got 'robot'"."""
    message = str(e.get("msg", ""))
    if e.get("type") in ("literal_error", "enum") and isinstance(e.get("input"), str | int):
        message += f", got {e['input']!r}"
    return message


def _field(e: dict[str, Any]) -> dict[str, Any]:
    loc = tuple(e.get("loc", ()))
    if e.get("type") == "json_invalid":
        # FastAPI reports the character offset as if it were a list index: name it plainly.
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (e.get("ctx") or {}).get("error", "")
        message = f"malformed JSON{where}" + (f": {reason}" if reason else "")
        return {"path": "body", "message": message, "type": "json_invalid"}
    return {"path": field_path(loc), "message": field_message(e), "type": e.get("type", "")}


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    """422 for request validation: every invalid field with its path."""
    fields = tuple(_field(e) for e in errors)
    summary = "; ".join(f"{f['path']}: {f['message']}" for f in fields[:5])
    return Problem(422, "validation_error", summary or "invalid request", fields=fields)


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return error_body(validation_problem(errors), "symphony")


def install_error_handlers(app: FastAPI, on_error: Any = None) -> None:
    def answer(request: Request, problem: Problem) -> Response:
        if on_error is not None:
            on_error(request, problem.code)
        return error_response(problem, request.scope["path"])

    @app.exception_handler(SymphonyError)
    async def _domain(request: Request, exc: SymphonyError) -> Response:
        return answer(request, problem_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return answer(request, validation_problem(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        headers = getattr(exc, "headers", None) or {}
        return answer(request, Problem(exc.status_code, code, str(exc.detail), headers=headers))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = f"internal error ({type(exc).__name__}); see server log"
        return answer(request, Problem(500, "internal_error", message))
