"""A client that announces a body and never sends it gets a 408 (issue 11 item 6).

Runs under a real uvicorn server: only a socket can stop half-way through a request.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app_support import demo_settings, serve_live


async def exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 20)
    finally:
        writer.close()


@pytest.mark.parametrize("path", ["/route/execute", "/v1/chat/completions", "/route/plan"])
async def test_an_announced_body_that_never_comes_is_a_408(tmp_path: Path, path: str) -> None:
    settings = demo_settings(tmp_path).replace(body_read_timeout_s=0.5)
    async with serve_live(settings) as server:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 200\r\n\r\n"
        )
        answer = await exchange(server.url, head.encode() + b'{"task":')  # then silence
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"408", answer
        assert b"request_timeout" in rest
        assert b"SYMPHONY_BODY_READ_TIMEOUT_S" in rest


async def test_a_whole_body_is_not_timed_after_it_arrived(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path).replace(body_read_timeout_s=0.5)
    async with serve_live(settings) as server:
        body = b'{"task": "qa", "input": "hi", "loa": 1}'
        head = (
            "POST /route/plan HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        answer = await exchange(server.url, head.encode() + body)
        assert answer.split(b"\r\n")[0].split()[1] == b"200", answer
