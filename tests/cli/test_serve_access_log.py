"""`symphony serve --access-log` in a real uvicorn subprocess: one clean, redacted line per
request (it used to print a ValueError traceback per request, with the raw request text),
and a chunked body over the limit gets its 413 from the real server too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "alice.smith@example.com"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port, sim_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "SIM_FAST": "1", "PYTHONPATH": str(ROOT / "src")}
    env.pop("SYMPHONY_AUTH", None)
    args = [
        sys.executable,
        "-c",
        "import sys; from symphony.cli import main; sys.exit(main())",
        "serve",
        "--demo",
        "--access-log",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--simulator-port",
        str(sim_port),
        "--data-dir",
        str(tmp_path / "data"),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=out)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{base}/status/health.json", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not start:\n" + log.read_text()
                time.sleep(0.2)
            yield base, log
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def chunks() -> Iterator[bytes]:
    yield b'{"model":"auto","messages":[{"role":"user","content":"'
    for _ in range(40):  # 2.5 MB in 64 KB chunks, no content-length
        yield b"x" * 65_536
    yield b'"}]}'


def test_access_log_lines_are_clean_and_redacted(server: tuple[str, Path]) -> None:
    base, log = server
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(5):
            r = client.get("/status/health.json", params={"who": EMAIL, "key": STRIPE, "i": i})
            assert r.status_code == 200
        r = client.post(
            "/v1/chat/completions",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "payload_too_large"
        r = client.post("/route/plan", json={"task": "qa", "input": f"mail {EMAIL}"})
        assert r.status_code == 200
    time.sleep(0.5)  # let the server flush its last lines
    text = log.read_text(errors="replace")
    assert "Logging error" not in text, text[-3000:]
    assert "ValueError" not in text
    assert "Traceback" not in text
    assert EMAIL not in text
    assert STRIPE not in text
    access = [line for line in text.splitlines() if "GET /status/health.json?" in line]
    assert len(access) == 5, text[-3000:]
    assert all("[REDACTED:email]" in line and " 200" in line for line in access), access
    assert any('"POST /v1/chat/completions HTTP/1.1" 413' in line for line in text.splitlines())
