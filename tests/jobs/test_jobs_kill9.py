"""kill -9 of a server in the middle of a job's run: the next process runs it again (once)
and it ends `done`; the acknowledged queue is not lost."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from jobs_support import jobs_settings

from app_support import running_demo

QA = {"task": "qa", "input": "say hello", "loa": 1}


async def wait_for(check: Callable[[], Awaitable[bool]], what: str, deadline_s: float = 90) -> None:
    """poll_until with room for a loaded machine (a child process starting the demo)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
async def test_a_job_cut_by_kill_9_runs_again_in_the_next_process(tmp_path: Path) -> None:
    settings = jobs_settings(tmp_path, jobs_lease_s=3.0)  # writes the demo policy copy
    port, sim_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        "SIM_FAST": "1",
        "SYMPHONY_DEMO": "true",
        "SYMPHONY_AUTH": "false",
        "SYMPHONY_PORT": str(port),
        "SYMPHONY_SIMULATOR_PORT": str(sim_port),
        "SYMPHONY_POLICY_FILE": str(settings.policy_file),
        "SYMPHONY_WINDOWS_FILE": "",
        "SYMPHONY_DATA_DIR": str(settings.data_dir),
        "SYMPHONY_DEMO_DATA_DIR": str(settings.data_dir),  # the restart below reads it there
        "SYMPHONY_WATCH_POLICY": "false",
        "SYMPHONY_JOBS_LEASE_S": "3",
        "SYMPHONY_JOBS_POLL_INTERVAL_S": "0.05",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", "from symphony.cli import main; main()", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:

            async def up() -> bool:
                try:
                    return (await api.get("/status/health.json")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(up, "the child server to start")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sim_port}") as sim:
                fault = {"model": "gpt-4o-mini", "kind": "timeout", "delay_s": 50, "count": 5}
                assert (await sim.post("/_sim/faults", json=fault)).status_code == 200
            submitted = await api.post("/jobs", json={"request": QA, "idempotency_key": "k9"})
            job_id = submitted.json()["job"]["id"]

            async def running() -> bool:
                return bool((await api.get(f"/jobs/{job_id}")).json()["state"] == "running")

            await wait_for(running, "the job to start running in the child")
            await asyncio.sleep(1.5)  # past one heartbeat: the lease was renewed while alive
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    async with running_demo(settings) as after:

        async def done() -> bool:
            body = (await after.client.get(f"/jobs/{job_id}")).json()
            return bool(body["state"] == "done")

        await wait_for(done, "the cut job to run again after the restart")
        body = (await after.client.get(f"/jobs/{job_id}")).json()
        assert body["attempts"] == 2
        assert [h["state"] for h in body["history"]] == ["interrupted", "done"]
        assert body["result"]["audit_id"] == body["audit_id"]
        again = await after.client.post("/jobs", json={"request": QA, "idempotency_key": "k9"})
        assert again.json()["job"]["id"] == job_id
        assert again.json()["created"] is False
