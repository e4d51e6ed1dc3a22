"""Who is calling an MCP tool: the API key the security middleware authenticated.

`/mcp/` sits behind `SecurityMiddleware` like every route, so an HTTP request that reaches
a tool carries its `ApiKey` in the ASGI scope state. `CallerMiddleware` (an MCP server
middleware) reads it for every inbound message and keeps it in `CALLER` while the handler
runs, so tools and resources check the same role and tenant rules as the REST routes. An
in-process client (`mcp.Client(server)`, tests and embedding) has no HTTP request: it is
trusted like a request with authentication turned off.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp_types import ListToolsResult

from symphony.errors import AuthError, ForbiddenError
from symphony.security.keys import ApiKey
from symphony.security.roles import PERMISSION_ROLE, Permission


@dataclass(frozen=True, slots=True)
class Caller:
    """The key behind one MCP message (None: authentication off, or in-process)."""

    key: ApiKey | None

    @property
    def actor(self) -> str | None:
        """The key's name: the actor in audit records, as for REST."""
        return None if self.key is None else self.key.name

    def may(self, permission: Permission) -> bool:
        """Return True when this caller holds `permission`."""
        return self.key is None or self.key.allows(PERMISSION_ROLE[permission])

    def need(self, permission: Permission, tool: str) -> None:
        """Refuse (forbidden) when this caller lacks `permission`."""
        key = self.key
        if key is None or key.allows(PERMISSION_ROLE[permission]):
            return
        need = PERMISSION_ROLE[permission]
        raise ForbiddenError(
            f"tool '{tool}' needs the {need} role ({permission}); "
            f"key '{key.name}' has the {key.role} role",
            detail={"required_role": need, "permission": permission},
        )

    def unbound(self, tool: str) -> None:
        """Refuse (forbidden) a tenant-bound key: the tool describes the whole service."""
        key = self.key
        if key is None or not key.tenants:
            return
        raise ForbiddenError(
            f"tool '{tool}' reaches every tenant and needs a key not bound to tenants; "
            f"key '{key.name}' is bound to tenants {', '.join(sorted(key.tenants))}",
            detail={"allowed": sorted(key.tenants), "needs": "unbound key"},
        )

    def may_tenant(self, tenant: str) -> bool:
        """Return True when this caller may act for `tenant`."""
        return self.key is None or self.key.allows_tenant(tenant)

    def tenant(self, tenant: str) -> None:
        """Refuse (forbidden) when this caller may not act for `tenant` (as REST does)."""
        key = self.key
        if key is None or key.allows_tenant(tenant):
            return
        allowed = ", ".join(key.tenants) if key.tenants else "default"
        raise ForbiddenError(
            f"key '{key.name}' may not act for tenant '{tenant}' (allowed: {allowed})",
            detail={"tenant": tenant, "allowed": list(key.tenants) or ["default"]},
        )

    def sees_tenant(self, tenant: str | None) -> bool:
        """Return True when records of `tenant` are visible (tenant-bound keys see theirs)."""
        key = self.key
        return key is None or not key.tenants or tenant in key.tenants

    def only_tenant(self) -> str | None:
        """The one tenant a key is bound to (the default for an omitted `tenant`), else None."""
        key = self.key
        return key.tenants[0] if key is not None and len(key.tenants) == 1 else None


TRUSTED = Caller(None)
CALLER: ContextVar[Caller | None] = ContextVar("symphony_mcp_caller", default=None)


def current_caller() -> Caller:
    """The caller of the message being handled (trusted outside any message)."""
    return CALLER.get() or TRUSTED


class CallerMiddleware:
    """MCP server middleware: resolve the caller; list only the tools it may call."""

    def __init__(self, auth_enabled: bool, permissions: dict[str, Permission]) -> None:
        self.auth_enabled = auth_enabled
        self.permissions = permissions  # tool name -> permission

    def caller_of(self, request: Any) -> Caller:
        """The caller of an inbound message (`request`: its HTTP request, None in-process)."""
        if request is None:
            return TRUSTED
        state = getattr(request, "scope", {}).get("state") or {}
        key = state.get("api_key")
        if isinstance(key, ApiKey):
            return Caller(key)
        if self.auth_enabled:  # the security middleware guards /mcp/: never reached
            raise AuthError("missing API key for /mcp/")
        return TRUSTED

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        caller = self.caller_of(ctx.request)
        token = CALLER.set(caller)
        try:
            result = await call_next(ctx)
        finally:
            CALLER.reset(token)
        if ctx.method == "tools/list":
            result = self.visible(caller, result)
        return result

    def visible(self, caller: Caller, result: HandlerResult) -> HandlerResult:
        """A tools/list result without the tools `caller` may not call."""

        def allowed(name: object) -> bool:
            return caller.may(self.permissions.get(str(name), "keys.manage"))

        if isinstance(result, ListToolsResult):  # in-process: the model
            return result.model_copy(update={"tools": [t for t in result.tools if allowed(t.name)]})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):  # the wire dict
            tools = [t for t in result["tools"] if isinstance(t, dict) and allowed(t.get("name"))]
            return {**result, "tools": tools}
        return result
