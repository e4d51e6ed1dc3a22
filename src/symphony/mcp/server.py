"""The MCP server of one Symphony process, and its ASGI app for `/mcp/`.

`McpFace` builds an `MCPServer` (mcp 2.x) with Symphony's tools and resources over the
process's `Services`. `asgi()` serves the Streamable HTTP app the composition root mounts at
`/mcp`: stateless (no session lives in process memory, so any replica answers any
request) and answering plain JSON. The app's lifespan must run `running()` around
serving: the SDK's session manager owns the task group every request runs in (without
it a request fails with "Task group is not initialized"). A session manager runs only
once, so each lifespan after the first gets a fresh app (tests and servers that restart
an app's lifespan).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from symphony import __version__
from symphony.mcp.caller import CallerMiddleware
from symphony.mcp.resources import find_runbook, resources
from symphony.mcp.tooling import build_tool
from symphony.mcp.tools import tool_specs
from symphony.services import Services
from symphony.settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
LOOPBACK_BINDS = frozenset({"127.0.0.1", "localhost", "::1"})
INSTRUCTIONS = """Symphony is the team's LLM control tower: it decides which model runs each \
unit of work and why, runs it with retries, fallbacks and cost caps, and accounts for every \
provider's usage window. Use `plan` to see which model would run a piece of work and why, \
`models` for every model's remaining window and reset time, `health` and `burndown` for the \
service's state, and `execute` to run work through it. Read `symphony://policy` for the \
routing rules and `symphony://runbook` for operator procedures."""


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what `MCPServer()` does to the root logger (`logging.basicConfig` with Rich)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection: the Host (and browser Origin) values `/mcp/` answers.

    Configured hosts win; bound to loopback, the loopback names on any port; otherwise
    no Host check (behind a proxy the name is the proxy's; API keys guard every call).
    """
    hosts = list(settings.mcp_allowed_hosts)
    if not hosts and settings.host in LOOPBACK_BINDS:
        hosts = [*LOOPBACK_HOSTS, *(f"{h}:*" for h in LOOPBACK_HOSTS)]
    if not hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    names = {h.removesuffix(":*") for h in hosts}
    origins = [f"{scheme}://{name}" for name in sorted(names) for scheme in ("http", "https")]
    origins += [f"{o}:*" for o in origins]
    origins += [o for o in settings.cors_origins if o != "*"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class McpFace:
    """Symphony's MCP server: tools and resources over `services()` (read per call)."""

    def __init__(
        self,
        services: Callable[[], Services],
        settings: Settings,
        *,
        runbook: Path | None = None,
    ) -> None:
        specs = tool_specs()
        self.specs = specs
        self.settings = settings
        with _root_logging_kept():
            self.server: MCPServer[Any] = MCPServer(
                name="symphony",
                title="Symphony",
                version=__version__,
                instructions=INSTRUCTIONS,
                tools=[build_tool(spec, services) for spec in specs],
                resources=resources(services, runbook or find_runbook()),
                middleware=[
                    CallerMiddleware(
                        settings.auth_enabled, {spec.name: spec.permission for spec in specs}
                    )
                ],
            )
        self._http = self._build()
        self._runs = 0

    def _build(self) -> Starlette:
        """A Streamable HTTP app with a session manager of its own (each runs once)."""
        return self.server.streamable_http_app(
            streamable_http_path="/",
            stateless_http=True,
            json_response=True,
            transport_security=transport_security(self.settings),
        )

    def asgi(self) -> ASGIApp:
        """The ASGI app to mount at `/mcp` (it serves the current Streamable HTTP app)."""
        return self.serve

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request with the Streamable HTTP app of the running lifespan."""
        await self._http(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the session manager (the task group requests run in) while serving.

        It runs in a task of its own: an anyio task group must be left by the task that
        entered it, and a lifespan may be entered and left by different tasks (test
        fixtures, embedding servers)."""
        if self._runs:  # a session manager runs once: a later lifespan gets a new app
            self._http = self._build()
        self._runs += 1
        manager = self.server.session_manager
        started, stop = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with manager.run():
                started.set()
                await stop.wait()

        task = asyncio.create_task(hold(), name="mcp-session-manager")
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()  # it failed to start: raise why
        try:
            yield
        finally:
            stop.set()
            await task
