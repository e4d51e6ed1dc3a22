"""Pure-ASGI security on the hot path: API keys and roles, rate limits, CORS, security headers.

One middleware does it all so a request pays one extra call, one pass over its headers,
one dict lookup for its route's guard (`symphony.api.permissions`), one SHA-256 + dict
lookup for its key and one token bucket step; every response header it adds is
precomputed bytes. Rate limits apply when authentication is on (per key, or per client
address without a valid key); the open loopback demo has no keys to limit by.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from symphony.api.errors import Problem, error_bytes
from symphony.api.permissions import DOCS_PATHS, Guard, RouteTable, app_routes
from symphony.errors import BackendUnavailable, ForbiddenError
from symphony.events.bus import EventBus
from symphony.events.facts import RateLimited
from symphony.governance.governance import current_actor
from symphony.metrics.registry import Metrics
from symphony.security.keys import DEFAULT_TENANT, ApiKey, KeyStore
from symphony.security.ratelimit import RateLimiter, Verdict
from symphony.settings import Settings
from symphony.store.counters import TokenBuckets

SEED_CONNECT_SRC = ("http://127.0.0.1:8787", "http://127.0.0.1:4000", "http://127.0.0.1:11434")
EXPOSE_HEADERS = (
    "x-symphony-audit-id, x-symphony-model, x-symphony-attempts, retry-after, "
    "ratelimit, ratelimit-policy"
)
ALLOW_HEADERS = (
    "authorization, content-type, x-api-key, last-event-id, "
    "x-symphony-task, x-symphony-loa, x-symphony-tenant"
)
Headers = list[tuple[bytes, bytes]]
METRICS_PATH = "/metrics"


def public_paths(settings: Settings) -> tuple[str, ...]:
    """Paths served without a key: SYMPHONY_PUBLIC_PATHS, and /metrics when
    SYMPHONY_METRICS_PUBLIC is true (otherwise a key or SYMPHONY_METRICS_TOKEN)."""
    paths = tuple(settings.public_paths)
    if settings.metrics_public and METRICS_PATH not in paths:
        paths = (*paths, METRICS_PATH)
    return paths


def csp(script_src: Iterable[str], connect_src: Iterable[str]) -> str:
    """The seed's Content-Security-Policy with the configured extra sources."""
    scripts = " ".join(("'self'", *script_src))
    connects = " ".join(("'self'", *SEED_CONNECT_SRC, *connect_src))
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"connect-src {connects}; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'"
    )


# The docs pages load only their own packaged assets (api/docs_ui.py); the inline script is
# FastAPI's page bootstrap, blob: workers are ReDoc's.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; worker-src 'self' blob:; "
    "object-src 'none'; frame-ancestors 'none'"
)


def _b(pairs: Iterable[tuple[str, str]]) -> Headers:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


class SecurityRuntime:
    """Precomputed headers and tables; the services are bound when the lifespan starts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.auth_enabled = settings.auth_enabled
        common = [
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
        ]
        self.csp = csp(settings.csp_script_src, settings.csp_connect_src)
        self.headers = _b([("content-security-policy", self.csp), *common, ("vary", "Origin")])
        self.docs_headers = _b([("content-security-policy", DOCS_CSP), *common, ("vary", "Origin")])
        self.own_names = frozenset(name for name, _ in self.headers if name != b"vary")
        wildcard = "*" in settings.cors_origins
        self.cors_any: Headers | None = None
        if wildcard:
            self.cors_any = _b([("access-control-allow-origin", "*"), *self._expose()])
        self.cors: dict[bytes, Headers] = {
            origin.encode("latin-1"): _b([("access-control-allow-origin", origin), *self._expose()])
            for origin in settings.cors_origins
            if origin != "*"
        }
        self.preflight_extra = _b(
            [
                ("access-control-allow-methods", "GET, POST, OPTIONS"),
                ("access-control-allow-headers", ALLOW_HEADERS),
                ("access-control-max-age", "600"),
            ]
        )
        self.public_paths = public_paths(settings)
        token = settings.metrics_token
        self.metrics_token = token.encode() if token else None
        self.table: RouteTable | None = None
        self.keys: KeyStore | None = None
        # Shared buckets (SYMPHONY_REDIS_URL): the limit holds across workers and replicas.
        # Imported only then: an embedded process never loads the redis client.
        buckets: TokenBuckets | None = None
        if settings.redis_url:
            from symphony.store.redis_counters import RedisTokenBuckets

            buckets = RedisTokenBuckets.open(
                settings.redis_url,
                prefix=settings.store_namespace,
                timeout_s=settings.store_timeout_s,
            )
        self.limiter = RateLimiter(
            settings.rate_limit_rps, settings.rate_limit_burst, buckets=buckets
        )
        self.metrics: Metrics | None = None
        self.bus: EventBus | None = None
        self._last_refresh = 0.0

    @staticmethod
    def _expose() -> list[tuple[str, str]]:
        return [("access-control-expose-headers", EXPOSE_HEADERS)]

    def bind(self, *, keys: KeyStore, metrics: Metrics, bus: EventBus) -> None:
        """Attach the services built by the lifespan."""
        self.keys = keys
        self.metrics = metrics
        self.bus = bus

    def scrape_token_ok(self, secret: str | None) -> bool:
        """True when `secret` is the configured /metrics scrape token (constant time)."""
        if self.metrics_token is None or secret is None:
            return False
        return hmac.compare_digest(secret.encode("latin-1"), self.metrics_token)

    def cors_for(self, origin: bytes) -> Headers | None:
        return self.cors.get(origin) or self.cors_any

    def authenticate(self, secret: str) -> ApiKey | None:
        """The key for `secret`; on a miss, pick up keys created elsewhere (≤ once a second)."""
        keys = self.keys
        if keys is None:
            return None
        key = keys.authenticate(secret)
        if key is None:
            now = time.monotonic()
            if now - self._last_refresh >= 1.0:
                self._last_refresh = now
                if keys.refresh_if_changed():
                    key = keys.authenticate(secret)
        return key


class SecurityMiddleware:
    """Outermost middleware: preflight, auth, rate limit, then headers on every response."""

    def __init__(self, app: ASGIApp, runtime: SecurityRuntime) -> None:
        self.app = app
        self.rt = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rt = self.rt
        path: str = scope["path"]
        method: str = scope["method"]
        auth = xkey = origin = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
            elif name == b"x-api-key":
                xkey = value
            elif name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                preflight = True
        extra = rt.docs_headers if path in DOCS_PATHS else rt.headers
        if origin is not None:
            cors = rt.cors_for(origin)
            if preflight and method == "OPTIONS":
                await _preflight(send, rt, path, origin, cors, extra)
                return
            if cors is not None:
                extra = extra + cors
        own = rt.own_names

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if not isinstance(headers, list):  # any iterable is valid ASGI
                    headers = list(headers)
                for name, _ in headers:
                    if name in own:  # the route set its own (e.g. the console's CSP): keep it
                        present = {name for name, _ in headers}
                        headers = [*headers, *(h for h in extra if h[0] not in present)]
                        break
                else:
                    headers = [*headers, *extra]
                message["headers"] = headers
            await send(message)

        if not rt.auth_enabled:  # open demo mode: no keys, so nothing to limit per key
            await self.app(scope, receive, send_secured)
            return
        key: ApiKey | None = None
        secret = _secret(auth, xkey)
        if secret is not None:
            key = rt.authenticate(secret)
        client = scope.get("client")
        caller = key.id if key is not None else (client[0] if client else "unknown")
        try:
            verdict = await rt.limiter.take(caller)
        except BackendUnavailable as exc:  # shared buckets unreachable: fail closed…
            if path not in rt.settings.public_paths:  # …but health and metrics still answer
                body = error_bytes(Problem(503, exc.code, exc.message, detail=exc.detail), path)
                await _respond(send_secured, 503, body, [(b"retry-after", b"1")])
                return
            verdict = None
        if verdict is not None:
            await _too_many(send_secured, rt, path, key, caller, verdict)
            return
        table = rt.table
        if table is None:
            table = rt.table = RouteTable(app_routes(scope["app"]), rt.public_paths)
        guard = table.lookup(method, path)
        if key is None and path == METRICS_PATH and rt.scrape_token_ok(secret):
            await self.app(scope, receive, send_secured)
            return
        if guard.need is not None:
            if key is None:
                await _unauthorized(send_secured, path, presented=secret is not None)
                return
            if not key.allows(guard.need):
                await _forbidden(send_secured, path, method, key, guard)
                return
        if key is None:
            await self.app(scope, receive, send_secured)
            return
        # A fresh dict: the server may share its lifespan state dict between requests.
        scope["state"] = {**scope.get("state", {}), "api_key": key}
        token = current_actor.set((key.name, key.id))
        try:
            await self.app(scope, receive, send_secured)
        finally:
            current_actor.reset(token)


def _secret(auth: bytes | None, xkey: bytes | None) -> str | None:
    if auth is not None and auth[:7].lower() == b"bearer ":
        value = auth[7:].strip()
        if value:
            return value.decode("latin-1")
    if xkey is not None and xkey.strip():
        return xkey.strip().decode("latin-1")
    return None


async def _respond(send: Send, status: int, body: bytes, headers: Headers) -> None:
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def _unauthorized(send: Send, path: str, *, presented: bool) -> None:
    if presented:
        message = "invalid or revoked API key"
        challenge = b'Bearer realm="symphony", error="invalid_token"'
    else:
        message = "missing API key: send 'Authorization: Bearer <key>' (or 'x-api-key: <key>')"
        challenge = b'Bearer realm="symphony"'
    body = error_bytes(Problem(401, "unauthorized", message), path)
    await _respond(send, 401, body, [(b"www-authenticate", challenge)])


async def _forbidden(send: Send, path: str, method: str, key: ApiKey, guard: Guard) -> None:
    message = (
        f"{method} {path} needs the {guard.need} role ({guard.permission}); "
        f"key '{key.name}' has the {key.role} role"
    )
    extra = {"required_role": guard.need, "permission": guard.permission}
    body = error_bytes(Problem(403, "forbidden", message, extra=extra), path)
    await _respond(send, 403, body, [])


async def _too_many(
    send: Send, rt: SecurityRuntime, path: str, key: ApiKey | None, caller: str, verdict: Verdict
) -> None:
    limiter = rt.limiter
    scope = "key" if key is not None else "ip"
    who = f"key '{key.name}'" if key is not None else "this client address"
    message = (
        f"rate limit exceeded for {who}: {limiter.rate:g} requests/s, burst {limiter.burst}; "
        f"retry after {verdict.retry_after_header} s"
    )
    if rt.metrics is not None:
        rt.metrics.rate_limited.labels(scope).inc()
    if rt.bus is not None and limiter.should_announce(caller):
        rt.bus.emit(
            RateLimited(
                scope=scope,
                key=key.name if key is not None else None,
                path=path[:200],
                retry_after_s=round(verdict.retry_after_s, 3),
                rate_per_s=limiter.rate,
                burst=limiter.burst,
            )
        )
    retry = verdict.retry_after_header
    extra = {"retry_after_s": round(verdict.retry_after_s, 3)}
    body = error_bytes(Problem(429, "rate_limited", message, extra=extra), path)
    headers = [
        (b"retry-after", retry.encode()),
        (b"ratelimit-policy", limiter.policy_header.encode()),
        (b"ratelimit", f'"default";r={verdict.remaining};t={retry}'.encode()),
    ]
    await _respond(send, 429, body, headers)


async def _preflight(
    send: Send,
    rt: SecurityRuntime,
    path: str,
    origin: bytes,
    cors: Headers | None,
    extra: Headers,
) -> None:
    if cors is None:
        shown = origin.decode("latin-1")[:200]
        message = f"origin '{shown}' is not allowed (SYMPHONY_CORS_ORIGINS)"
        body = error_bytes(Problem(403, "cors_forbidden", message), path)
        await _respond(send, 403, body, extra)
        return
    head = [*extra, *cors, *rt.preflight_extra, (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 204, "headers": head})
    await send({"type": "http.response.body", "body": b""})


# --- helpers for routes --------------------------------------------------------------------


def api_key_of(request: Request) -> ApiKey | None:
    """The authenticated key of this request (None when auth is off or the path is public)."""
    key = getattr(request.state, "api_key", None)
    return key if isinstance(key, ApiKey) else None


def actor_of(request: Request) -> str | None:
    """The name of the request's API key: the actor in audit records (None when auth is off)."""
    key = api_key_of(request)
    return None if key is None else key.name


def require_tenant(request: Request, tenant: str) -> None:
    """Refuse (403) when the request's key may not act for `tenant`."""
    key = api_key_of(request)
    if key is None or key.allows_tenant(tenant):
        return
    allowed = ", ".join(key.tenants) if key.tenants else "default"
    raise ForbiddenError(
        f"key '{key.name}' may not act for tenant '{tenant}' (allowed: {allowed})",
        detail={"tenant": tenant, "allowed": list(key.tenants) or ["default"]},
    )


def tenant_scope_of(request: Request) -> frozenset[str] | None:
    """The tenants the request's key is walled into; None when it spans every tenant."""
    key = api_key_of(request)
    return None if key is None else key.tenant_scope


def default_tenant(request: Request) -> str:
    """The tenant of a request that names none: a key bound to exactly one tenant acts
    for that tenant; otherwise "default"."""
    key = api_key_of(request)
    if key is not None and len(key.tenants) == 1:
        return key.tenants[0]
    return DEFAULT_TENANT


def service_wide(request: Request) -> None:
    """Refuse (403) a key bound to tenants (created with them) on a route about the whole
    service (SLOs, incidents, integrations, the shared web corpus's writes): nothing there
    belongs to one tenant. A client key created with none (walled into `default` for tenant
    data) still reads them."""
    require_service_wide(request, f"{request.method} {request.url.path}")


def require_service_wide(request: Request, action: str) -> None:
    """Refuse (403) `action`, about the whole service, to a key created bound to tenants."""
    key = api_key_of(request)
    if key is None or not key.tenants:
        return
    raise ForbiddenError(
        f"{action} reaches every tenant and needs a key not bound to tenants; "
        f"key '{key.name}' is bound to tenants {', '.join(sorted(key.tenants))}",
        detail={"allowed": sorted(key.tenants), "needs": "unbound key"},
    )


def require_unbound(request: Request, action: str, *, admin: bool = False) -> None:
    """Refuse (403) `action` — one that reaches every tenant — to a tenant-bound key (and,
    with `admin`, to any key below admin)."""
    key = api_key_of(request)
    if key is None:
        return
    scope = key.tenant_scope
    if scope is None and (not admin or key.allows("admin")):
        return
    need = "an admin key" if admin else "a key"
    bound = (
        f"is bound to tenants {', '.join(sorted(scope))}" if scope else f"has the {key.role} role"
    )
    raise ForbiddenError(
        f"{action} reaches every tenant and needs {need} not bound to tenants; "
        f"key '{key.name}' {bound}",
        detail={
            "allowed": sorted(scope) if scope else [],
            "needs": "unbound admin" if admin else "unbound key",
        },
    )
