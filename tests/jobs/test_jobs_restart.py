"""Jobs survive a restart: a queued job keeps its schedule, and a job whose worker died
mid-run (its lease expired) runs again once more in the next process, then is done."""

from __future__ import annotations

from pathlib import Path

from jobs_support import jobs_settings

from app_support import poll_until, running_demo

QA = {"task": "qa", "input": "say hello", "loa": 1}


async def test_jobs_survive_restart_and_an_interrupted_run_resumes(tmp_path: Path) -> None:
    # First process: no worker, so jobs stay where we put them.
    async with running_demo(jobs_settings(tmp_path, jobs_enabled=False)) as first:
        later = await first.client.post(
            "/jobs", json={"request": QA, "run": "at", "at": "2099-01-01T00:00:00Z"}
        )
        crashed = await first.client.post("/jobs", json={"request": QA, "idempotency_key": "c"})
        later_id, crashed_id = later.json()["job"]["id"], crashed.json()["job"]["id"]
        queue = first.state.jobs.queue
        # A worker claims the due job and dies mid-run: its lease (0 s) is already over.
        now = first.state.clock.now().timestamp()
        claimed, _ = await queue.claim(now, "doomed-worker", 0.0, 10)
        assert [j.id for j in claimed] == [crashed_id]
        assert (await queue.get(crashed_id)).state == "running"

    # Second process on the same data directory, with its worker.
    async with running_demo(jobs_settings(tmp_path)) as second:

        async def resumed() -> bool:
            body = (await second.client.get(f"/jobs/{crashed_id}")).json()
            return bool(body["state"] == "done")

        await poll_until(resumed, "the interrupted job to run again")
        done = (await second.client.get(f"/jobs/{crashed_id}")).json()
        assert done["attempts"] == 2
        assert [h["state"] for h in done["history"]] == ["interrupted", "done"]
        assert done["history"][0]["holder"].startswith("doomed-worker:")
        kept = (await second.client.get(f"/jobs/{later_id}")).json()
        assert kept["state"] == "queued"
        assert kept["next_run_at"] == "2099-01-01T00:00:00+00:00"
        again = await second.client.post("/jobs", json={"request": QA, "idempotency_key": "c"})
        assert again.json() | {"job": None} == {"created": False, "reason": None, "job": None}
        assert again.json()["job"]["id"] == crashed_id
