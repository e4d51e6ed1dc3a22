"""Who may call what: every route's permission, and the fast lookup the middleware uses.

`ROUTE_PERMISSIONS` maps "METHOD /path template" to a permission (see
`symphony.security.roles`). A route missing from it needs the admin role (a test fails until
it is mapped). Public without a key: `settings.public_paths` (default `/status/health.json`
and `/metrics`), the OpenAPI document and its viewers (`/openapi.json`, `/docs`, `/redoc`:
the schema is not a secret, and schema-driven clients need it), and the console page and its
static files under `/console` (the page asks for a key; every API call it makes needs one).
Unknown paths need a valid key before they get their 404, so nothing answers 2xx unasked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import fastapi.routing
from starlette.routing import compile_path

from symphony.security.roles import PERMISSION_ROLE, Permission, Role

PUBLIC = "public"
ROUTE_PERMISSIONS: dict[str, Permission | str] = {
    # The MCP server (a mount: every method). Each tool checks its REST twin's permission.
    "* /mcp": "mcp",
    "POST /route/plan": "route.plan",
    "POST /route/execute": "route.execute",
    "POST /v1/chat/completions": "v1",
    "GET /v1/models": "v1",
    "GET /v1/models/{model_id:path}": "v1",
    "POST /v1/messages": "v1",
    "POST /v1/embeddings": "v1",
    "GET /models": "models.read",
    "GET /models/{name:path}": "models.read",
    "POST /windows/{name:path}/observe": "windows.observe",
    "GET /status/health.json": "status.read",
    "GET /status/burndown.json": "status.read",
    "GET /events": "status.read",
    "GET /metrics": "status.read",
    "GET /policy": "status.read",
    "POST /policy/reload": "policy.reload",
    "GET /policy/proposals": "policy.propose",
    "GET /policy/proposals/{proposal_id}": "policy.propose",
    "POST /policy/proposals/{proposal_id}/approve": "policy.approve",
    "GET /control": "control.kill",
    "POST /control/kill": "control.kill",
    "POST /control/unkill": "control.kill",
    # A job is deferred execute work: the same permission, scoped to the key's tenants.
    "GET /budgets": "models.read",
    # GraphQL: any client key; each resolver checks its tenant like its REST twin.
    "POST /graphql": "route.plan",
    "POST /jobs": "route.execute",
    "GET /jobs": "route.execute",
    "GET /jobs/{job_id}": "route.execute",
    "DELETE /jobs/{job_id}": "route.execute",
    "GET /audit": "audit.read",
    "GET /audit/{audit_id}": "audit.read",
    "POST /ingest": "web.ingest",
    "POST /rag/reindex": "web.ingest",
    "GET /rag/status": "rag.read",
    "POST /rag/query": "rag.read",
    "GET /rag/search": "rag.read",
    "GET /rag/documents": "rag.read",
    "GET /rag/documents/{document_id}": "rag.read",
    # SLOs, incidents and integrations (reading is status; changing is an operator's)
    "GET /slo": "status.read",
    "GET /incidents": "incidents.read",
    "GET /incidents/{incident_id}": "incidents.read",
    "POST /incidents": "integrations.manage",
    "POST /incidents/{incident_id}/resolve": "integrations.manage",
    "GET /integrations": "integrations.manage",
    "GET /integrations/fakes": "integrations.manage",
    "POST /integrations/alertmanager": "integrations.manage",
    "POST /integrations/github/issues": "integrations.manage",
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /docs/assets/{name}": PUBLIC,
}
PUBLIC_PREFIXES = ("/console",)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


class Guard:
    """What a route needs: None for public, else the least role (and why, for messages)."""

    __slots__ = ("need", "permission")

    def __init__(self, need: Role | None, permission: str) -> None:
        self.need = need
        self.permission = permission


PUBLIC_GUARD = Guard(None, PUBLIC)
UNKNOWN_GUARD = Guard("client", "any valid key")  # unknown paths: authenticate, then 404


def guard_for(key: str, path: str, public_paths: Iterable[str]) -> Guard:
    """The guard for one "METHOD /path" route key (unmapped → admin)."""
    if path in public_paths or path.startswith(PUBLIC_PREFIXES):
        return PUBLIC_GUARD
    permission = ROUTE_PERMISSIONS.get(key)
    if permission is None:
        return Guard("admin", f"unmapped route {key}")
    if permission == PUBLIC:
        return PUBLIC_GUARD
    return Guard(PERMISSION_ROLE[permission], permission)  # type: ignore[index]


def app_routes(app: Any) -> list[tuple[str, set[str] | None]]:
    """(path template, methods or None for mounts) of every route the app serves."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(iterate(app.routes)) if iterate is not None else list(app.routes)
    out: list[tuple[str, set[str] | None]] = []
    for route in routes:
        path = getattr(route, "path", None)
        if path is not None:
            methods = getattr(route, "methods", None)
            out.append((path, set(methods) if methods else None))
    return out


class RouteTable:
    """Path → method → Guard: exact paths in a dict, templated ones tried by prefix."""

    def __init__(self, routes: list[tuple[str, set[str] | None]], public: Iterable[str]) -> None:
        public_paths = frozenset(public)
        self.public = public_paths
        self.exact: dict[str, dict[str, Guard]] = {}
        self.patterns: list[tuple[str, Any, dict[str, Guard]]] = []
        templated: dict[str, dict[str, Guard]] = {}
        for path, methods in routes:
            regex = None
            if "{" in path:
                regex, _, _ = compile_path(path)
            for method in methods or {"*"}:
                verb = "GET" if method == "HEAD" else method
                guard = guard_for(f"{verb} {path}", path, public_paths)
                if methods is None:
                    templated.setdefault(path, {})["*"] = guard
                    self.patterns.append((path, None, templated[path]))
                elif regex is None:
                    self.exact.setdefault(path, {}).setdefault(method, guard)
                else:
                    if path not in templated:
                        templated[path] = {}
                        self.patterns.append((path.split("{", 1)[0], regex, templated[path]))
                    templated[path].setdefault(method, guard)

    def lookup(self, method: str, path: str) -> Guard:
        if path in self.public:
            return PUBLIC_GUARD
        guards = self.exact.get(path)
        if guards is None:
            for prefix, regex, candidates in self.patterns:
                if path.startswith(prefix) and (regex is None or regex.match(path)):
                    guards = candidates
                    break
            else:
                return PUBLIC_GUARD if path.startswith(PUBLIC_PREFIXES) else UNKNOWN_GUARD
        guard = guards.get(method) or guards.get("*")
        if guard is None and method == "HEAD":
            guard = guards.get("GET")
        # A known path with another method: authenticate, then the router answers 405.
        return guard if guard is not None else _least(guards.values())


def _least(guards: Iterable[Guard]) -> Guard:
    needs = [g for g in guards if g.need is None]
    return needs[0] if needs else UNKNOWN_GUARD
