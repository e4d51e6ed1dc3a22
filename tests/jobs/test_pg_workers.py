"""Jobs on PostgreSQL: two workers (two JobServices, each with its own connection pool, as
two replicas have) drain one queue and every job runs exactly once; a row another replica
has locked is skipped, not waited for; and the app keeps its jobs in PostgreSQL when
SYMPHONY_DATABASE_URL is set, so a job submitted on one replica is visible on the other."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from jobs_support import jobs_settings

from app_support import poll_until, running_demo
from symphony.clock import FixedClock
from symphony.events.bus import EventBus
from symphony.execute.request import ExecuteRequest
from symphony.jobs.schedule import RunSpec
from symphony.jobs.service import JobLimits, JobService
from symphony.jobs.system import SystemRunner
from symphony.metrics.registry import Metrics
from symphony.providers.base import ChatMessage
from symphony.routing.request import PlanRequest
from symphony.store.jobs import JobRecord, JobState
from symphony.store.pg_conn import PgConn
from symphony.store.pg_jobs import PgJobQueue

DATABASE_URL = os.environ.get(
    "SYMPHONY_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
pytestmark = pytest.mark.skipif(not DATABASE_URL, reason="needs the PostgreSQL scripts/test starts")
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
N = 40


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}_jobs"
    yield name
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE".encode())


class Audit:
    async def append(self, *_: Any, **__: Any) -> None:
        return None


class CountingExecutor:
    """Answers every run after a short pause, counting runs per job (the message text)."""

    def __init__(self, runs: Counter[str], lock: threading.Lock) -> None:
        self.runs, self.lock = runs, lock
        self.planning = SimpleNamespace()

    async def run(self, req: ExecuteRequest) -> Any:
        with self.lock:
            self.runs[str(req.messages[0].content)] += 1
        await asyncio.sleep(0.02)
        body = {"audit_id": "aud", "audit": {"cost_usd": 0.0}}
        return SimpleNamespace(
            audit_id="aud", decision=SimpleNamespace(model="m"), to_dict=lambda: body
        )


def work(i: int) -> ExecuteRequest:
    return ExecuteRequest(
        plan=PlanRequest(task="qa", tenant="acme"), messages=(ChatMessage("user", f"job {i}"),)
    )


async def test_two_workers_on_one_queue_run_each_job_exactly_once(schema: str) -> None:
    clock = FixedClock(T0)
    runs: Counter[str] = Counter()
    lock = threading.Lock()
    limits = JobLimits(poll_interval_s=0.01, concurrency=3, retry_backoff_s=0.0)
    queues = [PgJobQueue.open(PgConn(DATABASE_URL, schema)) for _ in range(2)]
    workers = [
        JobService(q, CountingExecutor(runs, lock), Audit(), EventBus(clock), Metrics(),  # type: ignore[arg-type]
                   clock, limits, f"w{n}", SystemRunner())
        for n, q in enumerate(queues)
    ]  # fmt: skip
    try:
        for i in range(N):
            await workers[i % 2].submit(
                work(i), RunSpec("asap"), {}, idempotency_key=f"k{i}", deadline=None, actor=None
            )
        stop = asyncio.Event()
        loops = [asyncio.create_task(w.run(stop)) for w in workers]

        async def all_done() -> bool:
            return (await queues[0].counts())[JobState.DONE] == N

        await poll_until(all_done, f"{N} jobs done")
        stop.set()
        await asyncio.gather(*loops)
        assert sorted(runs) == sorted(f"job {i}" for i in range(N))
        assert set(runs.values()) == {1}, runs
        done = await queues[1].search(state=JobState.DONE, limit=N)
        assert {j.attempts for j in done} == {1}
        assert {j.history[-1]["state"] for j in done} == {"done"}
        ran_by = Counter(w.metrics.job_runs.labels("done")._value.get() for w in workers)
        assert sum(n * k for n, k in ran_by.items()) == N
    finally:
        for q in queues:
            q.close()


def job(i: int) -> JobRecord:
    return JobRecord(
        id=f"j{i}", tenant="t", state=JobState.QUEUED, run={"mode": "asap"}, request={},
        work={}, created_at=0.0, next_run_at=float(i),
    )  # fmt: skip


async def test_a_row_locked_by_another_replica_is_skipped_not_waited_for(schema: str) -> None:
    queue = PgJobQueue.open(PgConn(DATABASE_URL, schema, timeout_s=5))
    try:
        await queue.submit(job(1))
        await queue.submit(job(2))
        with psycopg.connect(DATABASE_URL, options=f"-c search_path={schema}") as other:
            other.execute("SELECT id FROM jobs WHERE id = 'j1' FOR UPDATE")  # held, no commit
            claimed, _ = await asyncio.wait_for(queue.claim(10.0, "w", 60, 5), timeout=5)
            assert [j.id for j in claimed] == ["j2"]
            other.rollback()
        claimed, _ = await queue.claim(10.0, "w", 60, 5)
        assert [j.id for j in claimed] == ["j1"]
    finally:
        queue.close()


async def test_the_app_keeps_jobs_in_postgresql(tmp_path: Path, schema: str) -> None:
    def settings(sub: str) -> Any:
        return jobs_settings(tmp_path / sub, database_url=DATABASE_URL, store_namespace=schema)

    qa = {"task": "qa", "input": "say hello", "loa": 1}
    async with running_demo(settings("a")) as a:
        assert isinstance(a.state.jobs.queue, PgJobQueue)
        response = await a.client.post("/jobs", json={"request": qa, "run": "asap"})
        assert response.status_code == 200, response.text
        job_id = response.json()["job"]["id"]

        async def done() -> bool:
            body = (await a.client.get(f"/jobs/{job_id}")).json()
            return body["state"] == "done"

        await poll_until(done, f"job {job_id} done")
    async with running_demo(settings("b")) as b:  # another replica, the same database
        body = (await b.client.get(f"/jobs/{job_id}")).json()
        assert body["state"] == "done"
        assert body["runs"] == 1
