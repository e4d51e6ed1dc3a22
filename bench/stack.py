"""Start what the bench measures: simulator upstream, Symphony, floor proxy, bare endpoint."""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import BENCH_DIR, PY, REPO, SYMPHONY_MAIN, Child, Processes, free_port, wait_ready

SIM_CONFIG = BENCH_DIR / "simulator.bench.yml"
POLICY_TEMPLATE = BENCH_DIR / "bench.policy.yml"
TEMPLATE_BASE = "http://127.0.0.1:8788"
SECRET = re.compile(r"sk-sym-[A-Za-z0-9_\-]{40}")
FIXED_MODEL = "bench/fixed"  # Symphony policy name
UPSTREAM_MODEL = "bench-fixed"  # the simulator's name for the same model


@dataclass
class Auth:
    """How the bench talks to Symphony: real API keys, or auth off (and why)."""

    mode: str  # "api-keys" | "off"
    note: str
    client: dict[str, str] = field(default_factory=dict)  # headers for client calls
    operator: dict[str, str] = field(default_factory=dict)  # headers for observe/events


@dataclass
class Stack:
    sim: Child
    symphony: Child
    floor: Child
    bare: Child
    auth: Auth

    @property
    def sim_openai(self) -> str:
        return f"{self.sim.base}/openai/v1"


def symphony_argv(*args: str) -> list[str]:
    return [PY, "-c", SYMPHONY_MAIN, *args]


def start_simulator(procs: Processes) -> Child:
    port = free_port()
    child = procs.start(
        "simulator",
        symphony_argv("simulate", "--port", str(port), "--config", str(SIM_CONFIG)),
        port=port,
    )
    wait_ready(child, "/openai/v1/models")
    return child


def render_policy(work: Path, sim_base: str) -> Path:
    """The bench policy with the simulator's real address in every endpoint."""
    path = work / "bench.policy.yml"
    path.write_text(POLICY_TEMPLATE.read_text(encoding="utf-8").replace(TEMPLATE_BASE, sim_base))
    return path


@functools.cache
def keys_command_exists() -> bool:
    proc = subprocess.run(
        symphony_argv("keys", "--help"), capture_output=True, cwd=REPO, timeout=60
    )
    return proc.returncode == 0


def _create_key(env: dict[str, str], role: str, name: str) -> str | None:
    import os

    proc = subprocess.run(
        symphony_argv("keys", "create", "--role", role, "--name", name),
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
        timeout=60,
    )
    match = SECRET.search(proc.stdout + proc.stderr)
    return match.group(0) if proc.returncode == 0 and match else None


def _auth(env: dict[str, str]) -> Auth:
    if not keys_command_exists():
        env["SYMPHONY_AUTH"] = "0"
        return Auth(
            "off",
            "SYMPHONY_AUTH=0: `symphony keys` does not exist yet, so no key "
            "can be created; auth cost is not measured",
        )
    client = _create_key(env, "client", "bench")
    operator = _create_key(env, "operator", "bench-operator")
    if client is None or operator is None:
        env["SYMPHONY_AUTH"] = "0"
        return Auth("off", "SYMPHONY_AUTH=0: `symphony keys create` printed no sk-sym- secret")
    return Auth(
        "api-keys",
        "real API keys from `symphony keys create` (client for load, operator "
        "for window observations and /events)",
        client={"Authorization": f"Bearer {client}"},
        operator={"Authorization": f"Bearer {operator}"},
    )


def launch_symphony(
    procs: Processes, work: Path, sim_base: str, name: str = "symphony"
) -> tuple[Child, Auth]:
    """`symphony serve` on embedded defaults, ledger/audit/metrics/events on, fresh data dir
    (not waited for: call `wait_symphony`)."""
    data_dir = work / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "SYMPHONY_DATA_DIR": str(data_dir),
        "SYMPHONY_WATCH_POLICY": "0",
        "SYMPHONY_SIM_KEY": "sim-bench-key",
        # The per-key request limiter would cap the load itself; the bench measures the
        # path, so the limit is set out of reach (the limiter still runs if it exists).
        "SYMPHONY_RATE_LIMIT_RPS": "1000000000",
        "SYMPHONY_RATE_LIMIT_BURST": "1000000000",
    }
    auth = _auth(env)
    port = free_port()
    policy = render_policy(work, sim_base)
    argv = symphony_argv("serve", "--port", str(port), "--policy", str(policy))
    return procs.start(name, argv, env=env, port=port), auth


def wait_symphony(child: Child, auth: Auth) -> None:
    wait_ready(child, "/status/health.json", timeout=60)
    wait_ready(child, "/v1/models", headers=auth.client, below=300)


def start_symphony(
    procs: Processes, work: Path, sim_base: str, name: str = "symphony"
) -> tuple[Child, Auth]:
    child, auth = launch_symphony(procs, work, sim_base, name)
    wait_symphony(child, auth)
    return child, auth


def start_stack(procs: Processes, work: Path) -> Stack:
    """Simulator first (Symphony's policy needs its port), then the rest in parallel."""
    sim = start_simulator(procs)
    symphony, auth = launch_symphony(procs, work, sim.base)
    port = free_port()
    upstream = f"{sim.base}/openai/v1"
    floor = procs.start(
        "floor", [PY, "-m", "bench.floor", "--port", str(port), "--upstream", upstream], port=port
    )
    port = free_port()
    bare = procs.start("bare", [PY, "-m", "bench.bare", "--port", str(port)], port=port)
    wait_symphony(symphony, auth)
    wait_ready(floor, "/v1/chat/completions", method="POST")  # an empty body: any answer < 500
    wait_ready(bare, "/bare", method="POST")
    return Stack(sim=sim, symphony=symphony, floor=floor, bare=bare, auth=auth)
