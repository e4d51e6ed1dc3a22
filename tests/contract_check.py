"""Contract check: every response a test receives must be one its route declares.

`ContractCheck` wraps a Symphony app (pure ASGI, outermost, so it sees the middlewares'
answers too) and checks each response against the app's own `/openapi.json`: the status
must be declared for the operation, the content type must be one declared for that
status, a JSON body must validate against its schema, and each Server-Sent Event's `data`
must validate against the schema its event name declares (`x-sse-events`). Requests no
operation matches (unknown paths, other methods, preflights) may only get an error status,
with the error body of their path's dialect (OpenAI's under /v1).

tests/conftest.py wraps every app a test talks to (the `harness`, the demo fixtures, any
`httpx.ASGITransport` around a Symphony app); a violation raises in the test that
received the response, or (under a real server) fails the test at teardown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import jsonschema_rs
import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path
from starlette.types import Message, Receive, Scope, Send

from symphony.api.errors import dialect_of

ERROR_SCHEMAS = {
    "symphony": "ErrorBody",
    "openai": "OpenAIErrorBody",
    "anthropic": "AnthropicErrorBody",
}
# What may answer a request no operation matches (unknown path, other method, preflight).
UNMATCHED_STATUSES = frozenset({204, 401, 403, 404, 405, 413, 429})
# The document itself and its viewers: not operations of the API.
SKIPPED = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# Mounted apps that speak another protocol (MCP: JSON-RPC over Streamable HTTP, docs/mcp.md).
# Their own answers are that protocol's; what Symphony's middlewares answer for them (401,
# 403, 413, 429: JSON without "jsonrpc") must still be Symphony's error body.
MOUNTED_PROTOCOLS = ("/mcp",)
VIOLATIONS: list[str] = []  # recorded when a violation cannot be raised to the caller


class ContractViolation(AssertionError):
    """A response its route does not declare (status, content type, or body)."""


@dataclass
class _Route:
    regex: re.Pattern[str]
    path_format: str
    methods: frozenset[str]
    documented: bool


@dataclass
class Contract:
    """The declared responses of one OpenAPI document, and validators built on demand."""

    doc: dict[str, Any]
    routes: list[_Route]
    _validators: dict[str, Any] = field(default_factory=dict)

    def validator(self, schema: dict[str, Any]) -> Any:
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode()
        found = self._validators.get(key)
        if found is None:
            root = {**schema, "components": self.doc.get("components", {})}
            found = jsonschema_rs.validator_for(root, validate_formats=True)
            self._validators[key] = found
        return found

    def operation(self, method: str, path: str) -> tuple[str | None, dict[str, Any] | None]:
        """(path template, operation) for a request; (None, None) when nothing matches;
        (template, None) for a route outside the document or another method."""
        verb = "GET" if method == "HEAD" else method
        seen: str | None = None
        for route in self.routes:
            if not route.regex.match(path):
                continue
            if verb in route.methods:
                if not route.documented:
                    return route.path_format, None
                op = self.doc["paths"].get(route.path_format, {}).get(verb.lower())
                return route.path_format, op
            seen = seen or route.path_format
        return seen, None


_CONTRACTS: dict[bytes, Contract] = {}


def contract_for(app: FastAPI) -> Contract:
    """The Contract of `app` (shared by apps whose documents are identical)."""
    doc = app.openapi()
    key = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    found = _CONTRACTS.get(key)
    if found is None:
        found = _CONTRACTS[key] = Contract(doc, _routes(app))
    return found


def _routes(app: FastAPI) -> list[_Route]:
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    contexts = list(iterate(app.routes)) if iterate is not None else list(app.routes)
    out: list[_Route] = []
    for context in contexts:
        path = getattr(context, "path", None)
        if path is None:
            continue
        regex, path_format, _ = compile_path(path)
        original = getattr(context, "original_route", context)
        documented = isinstance(original, APIRoute) and getattr(context, "include_in_schema", True)
        methods = frozenset(getattr(context, "methods", None) or ())
        out.append(_Route(regex, path_format, methods, documented))
    return out


def check_response(
    contract: Contract, method: str, path: str, status: int, media: str | None, body: bytes
) -> list[str]:
    """Every way this response breaks its declared contract (empty when it conforms)."""
    if path in SKIPPED:
        return []
    if any(path == p or path.startswith(p + "/") for p in MOUNTED_PROTOCOLS):
        if status >= 400 and media == "application/json" and b'"jsonrpc"' not in body:
            return _error_body(contract, f"{method} {path} -> {status}", path, media, body)
        return []
    template, op = contract.operation(method, path)
    where = f"{method} {template or path} -> {status}"
    if op is None:
        if template is not None and status < 400:
            return []  # a route outside the document (console files, docs): not a contract
        if template is None and status not in UNMATCHED_STATUSES:
            return [f"{where}: a request no operation matches answered {status}"]
        return _error_body(contract, where, path, media, body)
    declared = op.get("responses", {}).get(str(status))
    if declared is None:
        known = ", ".join(op.get("responses", {}))
        return [f"{where}: status {status} is not declared (declared: {known})"]
    content = declared.get("content") or {}
    if not content:
        return [] if not body else [f"{where}: declares no body but got {body[:200]!r}"]
    if media not in content:
        return [f"{where}: content type {media!r} is not declared ({', '.join(content)})"]
    if method == "HEAD":
        return []
    entry = content[media]
    if media == "application/json":
        return _validate(contract, where, entry.get("schema", {}), body)
    if media == "text/event-stream":
        return check_events(contract, where, entry, body)
    return []


def _error_body(
    contract: Contract, where: str, path: str, media: str | None, body: bytes
) -> list[str]:
    if not body:
        return []
    if media != "application/json":
        return [f"{where}: an error must be JSON, got {media!r}: {body[:200]!r}"]
    name = ERROR_SCHEMAS[dialect_of(path)]
    return _validate(contract, where, {"$ref": f"#/components/schemas/{name}"}, body)


def _validate(contract: Contract, where: str, schema: dict[str, Any], raw: bytes) -> list[str]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return [f"{where}: body is not JSON ({exc}): {raw[:200]!r}"]
    errors = list(contract.validator(schema).iter_errors(value))
    return [
        f"{where}: {e.message} at /{'/'.join(str(p) for p in e.instance_path)}"
        f" (schema {schema.get('$ref', schema)}); body: {raw[:300]!r}"
        for e in errors[:5]
    ]


def check_events(contract: Contract, where: str, entry: dict[str, Any], raw: bytes) -> list[str]:
    """Check each complete SSE frame in `raw` against the event schemas `entry` declares."""
    events: dict[str, Any] = entry.get("x-sse-events", {})
    terminator = entry.get("x-sse-terminator")
    problems: list[str] = []
    for frame in raw.decode().replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in frame.split("\n"):
            if not line or line.startswith(":"):
                continue
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if not data:
            continue  # a comment, a ping or a bare retry/id frame
        text = "\n".join(data)
        if terminator is not None and text == terminator:
            continue
        schema = events.get(name)
        if schema is None:
            problems.append(f"{where}: SSE event {name!r} is not declared ({', '.join(events)})")
            continue
        problems += _validate(contract, f"{where} event {name!r}", schema, text.encode())
    return problems


class ContractCheck:
    """ASGI middleware: check every HTTP response against the app's OpenAPI document."""

    def __init__(self, app: FastAPI, *, raise_violations: bool = True) -> None:
        self.app = app
        self.symphony_contract_checked = True
        self.raise_violations = raise_violations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        status = 0
        media: str | None = None
        chunks: list[bytes] = []
        frames = b""
        problems: list[str] = []
        contract = contract_for(self.app)

        async def checked_send(message: Message) -> None:
            nonlocal status, media, frames
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type":
                        media = value.decode("latin-1").split(";")[0].strip().lower()
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if media == "text/event-stream":  # endless streams: check frame by frame
                    frames += chunk.replace(b"\r\n", b"\n")
                    done, _, frames = frames.rpartition(b"\n\n")
                    if done:
                        problems.extend(self._check(contract, method, path, status, media, done))
                else:
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    rest = frames if media == "text/event-stream" else b"".join(chunks)
                    problems.extend(self._check(contract, method, path, status, media, rest))
            await send(message)

        await self.app(scope, receive, checked_send)
        if problems:
            if self.raise_violations:
                raise ContractViolation("\n".join(problems))
            VIOLATIONS.extend(problems)

    def _check(
        self,
        contract: Contract,
        method: str,
        path: str,
        status: int,
        media: str | None,
        body: bytes,
    ) -> list[str]:
        found = check_response(contract, method, path, status, media, body)
        if found and not self.raise_violations:
            VIOLATIONS.extend(found)  # a streaming client may never see the app return
            return []
        return found


def contract_checked(app: Any, *, raise_violations: bool = True) -> Any:
    """`app` wrapped in a ContractCheck when it is a Symphony app (else unchanged)."""
    if getattr(app, "symphony_contract_checked", False) or not isinstance(app, FastAPI):
        return app
    if app.title != "Symphony":
        return app
    return ContractCheck(app, raise_violations=raise_violations)
