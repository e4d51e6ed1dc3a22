"""Child processes for the bench: free ports, readiness, RSS, and cleanup on any exit."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
PY = sys.executable
SYMPHONY_MAIN = "import sys; from symphony.cli import main; sys.exit(main())"


def free_port() -> int:
    """A port nobody listens on right now (bound then released: good enough on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    port: int = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class StartError(RuntimeError):
    """A child process died or never became ready."""


@dataclass
class Processes:
    """Every child the bench started; `close()` ends them all (TERM, then KILL)."""

    log_dir: Path
    children: list[Child] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None, port: int = 0
    ) -> Child:
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("ab")
        self._logs.append(log)
        merged = dict(os.environ)
        merged.update(env or {})
        merged.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=merged,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us only; we end children in order
        )
        child = Child(name, proc, log_path, port)
        self.children.append(child)
        return child

    def stop(self, child: Child, timeout: float = 5.0) -> None:
        if child.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, signal.SIGTERM)
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait(timeout)
        if child in self.children:
            self.children.remove(child)

    def close(self) -> None:
        for child in reversed(list(self.children)):
            with contextlib.suppress(Exception):
                self.stop(child)
        for log in self._logs:
            with contextlib.suppress(Exception):
                log.close()
        self._logs.clear()


def wait_ready(
    child: Child,
    path: str,
    *,
    timeout: float = 30.0,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    below: int = 500,
) -> None:
    """Poll until `path` answers with a status below `below`, or raise with the log tail."""
    deadline = time.monotonic() + timeout
    url = child.base + path
    last = ""
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if child.proc.poll() is not None:
                raise StartError(
                    f"{child.name} exited ({child.proc.returncode}):\n{child.log_tail()}"
                )
            try:
                resp = client.request(method, url, headers=headers)
                if resp.status_code < below:
                    return
                last = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.1)
    raise StartError(f"{child.name} not ready after {timeout:.0f}s ({last}):\n{child.log_tail()}")


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc/<pid>/status."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024.0
    return values["VmRSS"], values["VmHWM"]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine(load_generator: str) -> dict[str, Any]:
    """The facts a reader needs to compare runs."""
    load1, load5, _ = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_generator": load_generator,
        "load_average_at_start": [round(load1, 2), round(load5, 2)],
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def which_wrk() -> str | None:
    return shutil.which("wrk")


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so `finally` blocks end the children."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
