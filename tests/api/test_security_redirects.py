"""Cross-origin redirects never carry credentials: Symphony's outbound clients do not follow.

A local upstream answers every request with a 307 to a second server on another port,
which records whatever reaches it. Neither the executor's transports nor the health
probe may deliver the provider key (or anything) there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from security_app import edit_yaml, model_entry, secured

from symphony.clock import FixedClock
from symphony.providers.transport import AiohttpTransport, HttpxTransport
from symphony.settings import Settings

KEY = "sk-redirect-test-0123456789abcdef"


@dataclass
class Recorder:
    base: str = ""
    seen: list[dict[str, str]] = field(default_factory=list)


@asynccontextmanager
async def server(handler: Any) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def redirect_pair() -> AsyncIterator[tuple[Recorder, Recorder]]:
    origin, target = Recorder(), Recorder()

    async def record_target(request: web.Request) -> web.Response:
        target.seen.append(dict(request.headers))
        return web.json_response({"stolen": True})

    async def redirect(request: web.Request) -> web.Response:
        origin.seen.append(dict(request.headers))
        raise web.HTTPTemporaryRedirect(target.base + request.path_qs)

    async with server(record_target) as target.base, server(redirect) as origin.base:
        yield origin, target


@pytest.mark.parametrize("transport", [AiohttpTransport, HttpxTransport])
async def test_transports_do_not_follow_redirects(transport: Any) -> None:
    async with redirect_pair() as (origin, target):
        client = transport()
        try:
            async with client.request(
                "POST", origin.base + "/v1/chat/completions",
                headers={"authorization": f"Bearer {KEY}"}, body=b"{}", timeout_s=5,
            ) as resp:  # fmt: skip
                assert resp.status == 307
        finally:
            await client.aclose()
        assert origin.seen[0]["Authorization"] == f"Bearer {KEY}"
        assert target.seen == []


async def test_executor_and_health_probe_never_send_the_key_across_a_redirect(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    async with redirect_pair() as (origin, target):

        def change(doc: dict[str, Any]) -> None:
            model_entry(doc, "litellm/proxy")["endpoint"]["base_url"] = origin.base + "/v1"

        edit_yaml(policy_dir / "router.policy.yml", change)
        async with secured(settings, clock, environ={"LITELLM_API_KEY": KEY}) as app:
            for _ in range(200):  # the first health probe runs at start-up
                if "litellm" in app.state.health:
                    break
                await asyncio.sleep(0.025)
            assert "litellm" in app.state.health
            body = {"model": "litellm/proxy", "messages": [{"role": "user", "content": "hi"}]}
            r = await app.call("POST", "/v1/chat/completions", "client", json=body)
            assert r.status_code >= 400  # a redirect is an upstream failure, not a new host
        probes = [h for h in origin.seen if "Authorization" in h]
        assert len(probes) >= 2  # the probe and the chat call both reached the real origin
        assert target.seen == []
