"""The OpenAPI document: FastAPI's, completed with every response schema and the security.

Routes declare their own success and domain-error responses (`symphony.api.contracts`);
this module adds what the middlewares answer on their behalf (401 and 403 from the auth
layer on protected routes, 429 from the rate limiter, 413 from the body limit), the two
security schemes the auth layer accepts, each operation's `security` (`[]` on public
routes), and the component schemas of every contract model the document references.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from symphony.api import contracts
from symphony.api.anthropic_in import MessagesIn
from symphony.api.contracts.anthropic import AnthropicErrorBody
from symphony.api.contracts.base import JSON, REF_PREFIX, Wire, ref
from symphony.api.contracts.errors import ErrorBody, OpenAIErrorBody
from symphony.api.embeddings import EmbeddingsIn
from symphony.api.errors import dialect_of
from symphony.api.openai_in import ChatCompletionIn
from symphony.api.permissions import guard_for
from symphony.security.roles import ROLES, Role

# Request models the document names by reference (`openapi_extra`), beside FastAPI's own.
REQUEST_MODELS: tuple[type[BaseModel], ...] = (ChatCompletionIn, MessagesIn, EmbeddingsIn)
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer <key>` (`symphony keys create`)",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The same API key in the `x-api-key` header (what Anthropic SDKs send)",
    },
}
KEYED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
RETRY_AFTER = {"description": "seconds until a request is allowed", "schema": {"type": "integer"}}
RATE_HEADERS = {
    "Retry-After": RETRY_AFTER,
    "RateLimit": {"description": "IETF draft RateLimit header", "schema": {"type": "string"}},
    "RateLimit-Policy": {"description": "the limit applied", "schema": {"type": "string"}},
}
CHALLENGE = {
    "WWW-Authenticate": {"description": 'Bearer realm="symphony"', "schema": {"type": "string"}}
}


def install_openapi(app: FastAPI, public_paths: Iterable[str]) -> None:
    """Make `app.openapi()` return the completed document (built once, then cached)."""
    public = tuple(public_paths)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = copy.deepcopy(FastAPI.openapi(app))
            app.openapi_schema = None
            complete(doc, app.routes, public)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(doc: dict[str, Any], routes: Iterable[Any], public_paths: tuple[str, ...]) -> None:
    """Add the middlewares' responses, security and every referenced component schema."""
    for route, path_format in documented_routes(routes):
        for method in sorted(route.methods or ()):
            op = doc["paths"].get(path_format, {}).get(method.lower())
            if op is not None:
                _restore_examples(op, route.responses)
                guard = guard_for(f"{method} {route.path}", route.path, public_paths)
                _complete_operation(op, path_format, need=guard.need)
    components = doc.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    for name in FASTAPI_VALIDATION:  # replaced by our error bodies (see _complete_operation)
        schemas.pop(name, None)
    clash = sorted(set(schemas) & set(contract_models()))
    if clash:
        raise RuntimeError(f"request and contract models share names: {clash}")
    schemas.update(contract_schemas(set(_refs(doc)) - set(schemas)))


def documented_routes(routes: Iterable[Any]) -> Iterator[tuple[APIRoute, str]]:
    """Every route in the schema, with its path as documented (`{name}`, not `{name:path}`)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)  # lazily included routers
    for context in list(iterate(routes)) if iterate is not None else list(routes):
        original = getattr(context, "original_route", context)
        if isinstance(original, APIRoute) and getattr(context, "include_in_schema", True):
            yield original, context.path_format


def _restore_examples(op: dict[str, Any], declared: dict[int | str, Any]) -> None:
    """Put the routes' examples back as written: FastAPI drops every null from the document
    (`exclude_none`), which leaves examples missing keys their schema requires."""
    for code, response in declared.items():
        for media, entry in response.get("content", {}).items():
            if "example" in entry:
                target = op["responses"][str(code)]["content"][media]
                target["example"] = copy.deepcopy(entry["example"])


def _complete_operation(op: dict[str, Any], path: str, *, need: Role | None) -> None:
    models: dict[str, type[Wire]] = {
        "openai": OpenAIErrorBody,
        "anthropic": AnthropicErrorBody,
        "symphony": ErrorBody,
    }
    error_model = models[dialect_of(path)]
    responses: dict[str, Any] = op.setdefault("responses", {})

    def add(status: int, description: str, headers: dict[str, Any] | None = None) -> None:
        entry = responses.setdefault(str(status), {"description": description})
        entry.setdefault("content", {}).setdefault(JSON, {"schema": ref(error_model)})
        if headers:
            entry.setdefault("headers", headers)

    if need is not None:
        add(401, "Missing, invalid or revoked API key", CHALLENGE)
        if need != ROLES[0]:  # every key holds the least role
            add(403, f"The key's role is below {need}, the least role allowed")
        op["security"] = KEYED
    else:
        op["security"] = []
    add(429, "Rate limited (per key, or per client address without one)", RATE_HEADERS)
    add(503, "A shared store (Redis, PostgreSQL) is unreachable: nothing was admitted; retry")
    if "requestBody" in op:
        add(400, "The body could not be decoded at all (e.g. bytes that are not UTF-8)")
        add(413, "The request body is over the size limit (SYMPHONY_BODY_LIMIT_BYTES)")
        add(408, "The announced body did not arrive in time (SYMPHONY_BODY_READ_TIMEOUT_S)")
    for entry in responses.values():  # FastAPI's default 422 body is not what we send
        for media in entry.get("content", {}).values():
            if media.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                media["schema"] = ref(error_model)
    op["responses"] = dict(sorted(responses.items()))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and target.startswith(REF_PREFIX):
            yield target[len(REF_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def contract_models() -> dict[str, tuple[type[BaseModel], JsonSchemaMode]]:
    """Every model the document may reference by name, with its schema mode."""
    for module in pkgutil.iter_modules(contracts.__path__):  # every contract module
        importlib.import_module(f"{contracts.__name__}.{module.name}")
    found: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {}
    pending: list[type[BaseModel]] = list(Wire.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        known = found.get(model.__name__)
        if known is not None and known[0] is not model:
            raise RuntimeError(f"two contract models are named {model.__name__}")
        found[model.__name__] = (model, "serialization")
    for model in REQUEST_MODELS:
        found[model.__name__] = (model, "validation")
    return found


def contract_schemas(names: set[str]) -> dict[str, Any]:
    """Component schemas for the contract models named (and every model they use)."""
    known = contract_models()
    missing = sorted(n for n in names if n not in known)
    if missing:
        raise RuntimeError(f"the OpenAPI document references unknown schemas: {missing}")
    wanted = [known[name] for name in sorted(names)]
    _, top = models_json_schema(wanted, ref_template=REF_PREFIX + "{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    return defs
