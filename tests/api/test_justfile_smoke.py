"""`just symphony-test` runs green against a real `symphony serve` (curl + jq smoke)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(base: str, proc: subprocess.Popen[bytes], deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"symphony serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/status/health.json", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("symphony serve did not become healthy")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`symphony serve` on a free port with a private data dir; yields its base URL."""
    tmp_path = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "SYMPHONY_AUTH": "0",
        "SYMPHONY_DATA_DIR": str(tmp_path / "data"),
        "SYMPHONY_PORT": str(port),
        "SYMPHONY_HOST": "127.0.0.1",
        "SYMPHONY_LOG_LEVEL": "WARNING",
    }
    symphony = BIN / "symphony"
    command = (
        [str(symphony)]
        if symphony.exists()
        else [sys.executable, "-c", "import sys; from symphony.cli import main; sys.exit(main())"]
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([*command, "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def just() -> str:
    """The `just` binary; skips (before any server starts) when a tool is missing."""
    found = tool("just")
    if found is None:
        pytest.skip("`just` is not installed (pip install rust-just)")
    if shutil.which("jq") is None or shutil.which("curl") is None:
        pytest.skip("`jq` and `curl` are needed (apt-get install -y jq curl)")
    return found


@pytest.mark.slow
def test_symphony_test_target_runs_green(just: str, served: str) -> None:
    env = {**os.environ, "PROXY_BASE": served, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    env.pop("SYMPHONY_KEY", None)
    result = subprocess.run(
        [just, "--justfile", str(ROOT / "Justfile"), "symphony-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "✅ symphony-test completed" in result.stdout
    for check in (
        "health.json shape",
        "burndown.json buckets",
        "models: items",
        "route/plan",
        "409",
        "422",
        "policy version",
        "metrics names",
        "events stream is live",
    ):
        assert check in result.stdout, output


def test_docker_healthcheck_command_passes_against_serve(served: str) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^\s*CMD (\[.*\])$", dockerfile.split("HEALTHCHECK", 1)[1], re.M)
    assert match, "HEALTHCHECK needs an exec-form CMD"
    argv = json.loads(match.group(1))
    assert argv[0] == "python"
    port = served.rsplit(":", 1)[1]
    env = {**os.environ, "SYMPHONY_PORT": port}
    ok = subprocess.run([sys.executable, *argv[1:]], env=env, timeout=30, check=False)
    assert ok.returncode == 0
    env["SYMPHONY_PORT"] = str(free_port())  # nothing listens there
    down = subprocess.run(
        [sys.executable, *argv[1:]], env=env, timeout=30, check=False, capture_output=True
    )
    assert down.returncode != 0
