"""The JobQueue contract (store/jobs.py) on every backend (SQLite, PostgreSQL: a schema per
test); two openers at one place are two workers (two processes)."""

from __future__ import annotations

import asyncio

import pytest
from store_backends import Opener

from symphony.store.jobs import JobQueue, JobRecord, JobState

T0 = 1_800_000_000.0


def record(job_id: str, *, at: float = T0, key: str | None = None, tenant: str = "t") -> JobRecord:
    return JobRecord(
        id=job_id,
        tenant=tenant,
        state=JobState.QUEUED,
        run={"mode": "at"},
        request={"task": "qa"},
        work={"plan": {}},
        created_at=T0,
        next_run_at=at,
        idempotency_key=key,
        max_attempts=2,
    )


@pytest.fixture
def queues(jobs: Opener[JobQueue]) -> tuple[JobQueue, JobQueue]:
    return jobs.open(), jobs.open()  # a second process on the same place


async def test_submit_is_idempotent_per_tenant_and_key(queues: tuple[JobQueue, JobQueue]) -> None:
    a, b = queues
    first, created = await a.submit(record("j1", key="k"))
    again, created_again = await b.submit(record("j2", key="k"))
    other, created_other = await a.submit(record("j3", key="k", tenant="u"))
    assert (created, created_again, created_other) == (True, False, True)
    assert again.id == first.id == "j1"
    assert other.id == "j3"
    assert [j.id for j in await a.search(["t"])] == ["j1"]


async def test_only_due_jobs_are_claimed_oldest_first(queues: tuple[JobQueue, JobQueue]) -> None:
    a, _ = queues
    await a.submit(record("late", at=T0 + 100))
    await a.submit(record("b", at=T0 - 5))
    await a.submit(record("a", at=T0 - 10))
    claimed, dead = await a.claim(T0, "w1", 60, 10)
    assert [j.id for j in claimed] == ["a", "b"]
    assert dead == []
    assert all(j.state is JobState.RUNNING and j.attempts == 1 for j in claimed)
    assert claimed[0].lease_until == T0 + 60


async def test_two_workers_never_claim_one_job(queues: tuple[JobQueue, JobQueue]) -> None:
    a, b = queues
    for i in range(20):
        await a.submit(record(f"j{i:02}", at=T0 - i))
    got = await asyncio.gather(*(q.claim(T0, f"w{n}", 60, 3) for n, q in enumerate([a, b] * 5)))
    ids = [j.id for claimed, _ in got for j in claimed]
    assert len(ids) == len(set(ids)) == 20


async def test_a_stale_claim_cannot_settle(queues: tuple[JobQueue, JobQueue]) -> None:
    a, b = queues
    await a.submit(record("j"))
    (first,), _ = await a.claim(T0, "w1", 10, 1)
    # w1 dies; its lease expires and w2 takes the job over (attempt 2 of 2)
    (second,), _ = await b.claim(T0 + 11, "w2", 10, 1)
    assert second.attempts == 2
    assert second.claim != first.claim
    assert first.claim is not None
    assert second.claim is not None
    late = await a.settle("j", first.claim, state=JobState.DONE, now=T0 + 12)
    assert late is None
    done = await b.settle(
        "j", second.claim, state=JobState.DONE, now=T0 + 12, result={"audit_id": "aud_1"}
    )
    assert done is not None
    assert done.state is JobState.DONE
    assert [h["state"] for h in done.history] == ["interrupted", "done"]
    assert done.history[-1]["audit_id"] == "aud_1"


async def test_interrupted_past_max_attempts_is_dead(queues: tuple[JobQueue, JobQueue]) -> None:
    a, _ = queues
    await a.submit(record("j"))
    await a.claim(T0, "w1", 10, 1)
    await a.claim(T0 + 11, "w2", 10, 1)  # attempt 2 of 2
    claimed, dead = await a.claim(T0 + 22, "w3", 10, 1)
    assert claimed == []
    assert [j.id for j in dead] == ["j"]
    assert dead[0].state is JobState.DEAD
    assert dead[0].error is not None
    assert dead[0].error["code"] == "interrupted"


async def test_retry_requeues_and_cancel_only_queued(queues: tuple[JobQueue, JobQueue]) -> None:
    a, _ = queues
    await a.submit(record("j"))
    (job,), _ = await a.claim(T0, "w", 10, 1)
    assert job.claim is not None
    again = await a.settle(
        "j", job.claim, state=JobState.QUEUED, now=T0 + 1, next_run_at=T0 + 30,
        error={"code": "all_candidates_failed", "message": "x"},
    )  # fmt: skip
    assert again is not None
    assert again.state is JobState.QUEUED
    assert again.attempts == 1
    assert (await a.claim(T0 + 29, "w", 10, 1))[0] == []
    cancelled = await a.cancel("j", T0 + 2)
    assert cancelled is not None
    assert cancelled.state is JobState.CANCELLED
    assert (await a.claim(T0 + 100, "w", 10, 1))[0] == []
    unchanged = await a.cancel("j", T0 + 3)
    assert unchanged is not None
    assert unchanged.state is JobState.CANCELLED
    assert await a.cancel("nope", T0) is None
    counts = await a.counts()
    assert counts[JobState.CANCELLED] == 1
    assert counts[JobState.QUEUED] == 0


async def test_jobs_survive_reopening(jobs: Opener[JobQueue]) -> None:
    q = jobs.open()
    await q.submit(record("j", at=T0 + 50, key="k"))
    q.close()
    job = await jobs.open().get("j")
    assert job is not None
    assert job.state is JobState.QUEUED
    assert job.next_run_at == T0 + 50
    assert job.idempotency_key == "k"
    assert job.request == {"task": "qa"}


async def test_a_renewed_lease_keeps_the_job(queues: tuple[JobQueue, JobQueue]) -> None:
    a, b = queues
    await a.submit(record("j"))
    (job,), _ = await a.claim(T0, "w1", 10, 1)
    assert job.claim is not None
    assert await a.renew("j", job.claim, T0 + 30) is True
    assert (await b.claim(T0 + 20, "w2", 10, 1))[0] == []  # still leased to w1
    assert await a.renew("j", "w9:stale", T0 + 60) is False


async def test_an_interrupted_run_is_retried_once_only(jobs: Opener[JobQueue]) -> None:
    q = jobs.open()
    await q.submit(record("j").with_(max_attempts=5))
    await q.claim(T0, "w1", 10, 1)
    (again,), _ = await q.claim(T0 + 11, "w2", 10, 1)  # the retry after the crash
    assert again.interruptions == 1
    claimed, dead = await q.claim(T0 + 22, "w3", 10, 1)  # it crashed again
    assert claimed == []
    assert [j.state for j in dead] == [JobState.DEAD]
    assert dead[0].error is not None
    assert "its worker died 2 times" in dead[0].error["message"]


async def test_queued_jobs_per_model(queues: tuple[JobQueue, JobQueue]) -> None:
    a, _ = queues
    await a.submit(record("j1").with_(model="openai/x"))
    await a.submit(record("j2").with_(model="openai/x"))
    await a.submit(record("j3"))
    await a.submit(record("j4", at=T0 - 1).with_(model="local/y"))
    await a.claim(T0 - 1, "w", 10, 1)  # j4 runs: no longer queued
    assert await a.queued_by_model() == {"openai/x": 2, None: 1}


async def test_racing_submits_with_one_key_make_one_job(
    queues: tuple[JobQueue, JobQueue],
) -> None:
    a, b = queues
    got = await asyncio.gather(
        *(q.submit(record(f"j{i}", key="same")) for i, q in enumerate([a, b] * 4))
    )
    assert sum(created for _, created in got) == 1
    assert len({job.id for job, _ in got}) == 1
    assert len(await a.search()) == 1


async def test_a_released_job_waits_for_its_time_and_its_attempt_does_not_count(
    queues: tuple[JobQueue, JobQueue],
) -> None:
    a, b = queues
    await a.submit(record("j"))
    (job,), _ = await a.claim(T0, "w1", 10, 1)
    assert job.claim is not None
    back = await a.release("j", job.claim, T0 + 30, T0)
    assert back is not None
    assert (back.state, back.attempts, back.next_run_at, back.claim) == (
        JobState.QUEUED, 0, T0 + 30, None,
    )  # fmt: skip
    assert await b.release("j", job.claim, T0 + 60, T0) is None  # the claim is spent
    assert (await b.claim(T0 + 29, "w2", 10, 1))[0] == []
    (again,), _ = await b.claim(T0 + 30, "w2", 10, 1)
    assert again.attempts == 1
