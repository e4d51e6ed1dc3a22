"""Shared helpers for the Grafana/Prometheus/Alertmanager pack tests (imported by name).

The Debian binaries (`promtool`, `prometheus`, `amtool`, `prometheus-alertmanager`) are
required: scripts/test installs them in CI. Without them a test skips locally and fails
under CI=1, like the console's Chromium tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTING = ROOT / "alerting"
RULES = ALERTING / "rules"
GRAFANA = ROOT / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "symphony-ops.json"
RUNBOOK = ROOT / "docs" / "runbook.md"
BIN = Path(sys.executable).parent
T = TypeVar("T")

DEBIAN_PACKAGE = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "npm": "npm",
}


SCRAPE_TOKEN = "obs-e2e-scrape-token"  # SYMPHONY_METRICS_TOKEN of the server under test


def need(binary: str) -> str:
    """Path of a required binary; skip (fail under CI) when it is not installed."""
    found = shutil.which(binary)
    if found is None:
        message = f"{binary} is missing: install the Debian `{DEBIAN_PACKAGE[binary]}` package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output (never raises on a non-zero exit)."""
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll(check: Callable[[], T | None], what: str, deadline_s: float = 60.0) -> T:
    """Call `check` until it returns something truthy (within a bounded deadline)."""
    deadline = time.monotonic() + deadline_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except (httpx.HTTPError, OSError) as exc:
            last, value = exc, None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {deadline_s:.0f}s waiting for {what} (last: {last})")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rule_files() -> list[Path]:
    return sorted(RULES.glob("*.rules.yml"))


def all_rules() -> list[dict[str, Any]]:
    """Every rule (recording and alerting) of every committed rule file."""
    return [
        rule
        for path in rule_files()
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expr) for every query of every panel of the dashboard."""
    import json

    board = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]


class Process:
    """A child process with its log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, args: list[str], log: Path, cwd: Path, env: dict[str, str]) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=self._log, stderr=self._log)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@dataclass
class Symphony:
    base: str
    sim: str
    process: Process


def start_symphony(tmp: Path) -> Symphony:
    """`symphony serve --demo` on free ports (loopback: no auth, /metrics public)."""
    port, sim_port = free_port(), free_port()
    env = {
        **os.environ,
        "SIM_FAST": "1",
        "SYMPHONY_LOG_LEVEL": "WARNING",
        "SYMPHONY_METRICS_TOKEN": SCRAPE_TOKEN,
    }
    env.pop("SYMPHONY_AUTH", None)
    symphony = BIN / "symphony"
    command = (
        [str(symphony)]
        if symphony.exists()
        else [sys.executable, "-c", "import sys; from symphony.cli import main; sys.exit(main())"]
    )
    args = [
        *command,
        "serve",
        "--demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--simulator-port",
        str(sim_port),
        "--data-dir",
        str(tmp / "data"),
    ]
    process = Process(args, tmp / "symphony.log", ROOT, env)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if not process.alive():
            raise AssertionError(f"symphony serve exited:\n{process.log()}")
        return httpx.get(f"{base}/status/health.json", timeout=2).status_code == 200

    try:
        poll(healthy, "symphony serve to answer /status/health.json")
    except BaseException:
        process.stop()
        raise
    return Symphony(base, f"http://127.0.0.1:{sim_port}", process)


def prometheus_config(target: str, rule_paths: list[Path], alertmanager: str | None) -> str:
    """The committed alerting/prometheus.yml with this run's target, 1 s intervals, and
    absolute rule paths (the file itself is what operators mount)."""
    config = load_yaml(ALERTING / "prometheus.yml")
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(p) for p in rule_paths]
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "symphony"]
    job["static_configs"] = [{"targets": [target]}]
    if alertmanager is None:
        config.pop("alerting", None)
    else:
        config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
    return yaml.safe_dump(config, sort_keys=False)


@dataclass
class Prometheus:
    base: str
    process: Process

    def query(self, expr: str) -> dict[str, Any]:
        """GET /api/v1/query; the whole answer (status, data or error)."""
        response = httpx.get(f"{self.base}/api/v1/query", params={"query": expr}, timeout=10)
        body: dict[str, Any] = response.json()
        return body

    def vector(self, expr: str) -> list[dict[str, Any]]:
        body = self.query(expr)
        assert body["status"] == "success", f"{expr}: {body.get('error')}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result


def start_prometheus(tmp: Path, config_text: str, *extra: str) -> Prometheus:
    """Prometheus on a free loopback port with `config_text`; waits for /-/ready."""
    binary = need("prometheus")
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(config_text)
    # The committed config scrapes with `credentials_file: secrets/symphony_metrics_token`
    # (relative to the config file), as an operator's Prometheus does.
    (tmp / "secrets").mkdir(exist_ok=True)
    (tmp / "secrets" / "symphony_metrics_token").write_text(SCRAPE_TOKEN)
    args = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
        *extra,
    ]
    process = Process(args, tmp / "prometheus.log", tmp, dict(os.environ))
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if not process.alive():
            raise AssertionError(f"prometheus exited:\n{process.log()}")
        return httpx.get(f"{base}/-/ready", timeout=2).status_code == 200

    try:
        poll(ready, "prometheus /-/ready")
    except BaseException:
        process.stop()
        raise
    return Prometheus(base, process)
