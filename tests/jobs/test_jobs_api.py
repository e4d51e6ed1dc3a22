"""POST/GET/DELETE /jobs on the demo app: jobs run through the executor, are audited,
announced and idempotent; refusals name the field."""

from __future__ import annotations

from typing import Any

from app_support import Demo, poll_until

QA = {"task": "qa", "input": "say hello", "loa": 1}


async def job(demo: Demo, job_id: str) -> dict[str, Any]:
    response = await demo.client.get(f"/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def wait_state(demo: Demo, job_id: str, state: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def reached() -> bool:
        found.update(await job(demo, job_id))
        return found["state"] == state

    await poll_until(reached, f"job {job_id} to be {state}")
    return found


async def test_asap_job_runs_through_the_executor_and_is_audited(demo: Demo) -> None:
    response = await demo.client.post("/jobs", json={"request": QA, "run": "asap"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] is True
    assert body["reason"] == "asap"
    job_id = body["job"]["id"]
    done = await wait_state(demo, job_id, "done")
    assert done["attempts"] == 1
    assert done["runs"] == 1
    assert done["result"]["answer"]
    audit_id = done["audit_id"]
    assert audit_id == done["result"]["audit_id"]
    record = await demo.client.get(f"/audit/{audit_id}")
    assert record.status_code == 200

    async def announced() -> bool:  # the fact follows the state change (audit, then publish)
        return bool(demo.events("job.done"))

    await poll_until(announced, "job.done")
    kinds = [e["job_id"] for e in demo.events("job.done")]
    assert kinds == [job_id]
    queued = [e for e in demo.events("job.queued") if e["tenant"] != "system"]  # not the
    assert [e["job_id"] for e in queued] == [job_id]  # nightly roadmap (a system job)
    assert [e["audit_id"] for e in demo.events("route.execute")] == [audit_id]
    audit = (await demo.client.get("/audit", params={"type": "job.done"})).json()
    assert any(r["payload"]["job_id"] == job_id for r in audit["items"])
    metrics = (await demo.client.get("/metrics")).text
    assert 'symphony_job_runs_total{outcome="done"} 1.0' in metrics


async def test_same_idempotency_key_returns_the_same_job(demo: Demo) -> None:
    body = {"request": QA, "run": "at", "at": "2099-01-01T00:00:00Z", "idempotency_key": "k1"}
    first = (await demo.client.post("/jobs", json=body)).json()
    second = (await demo.client.post("/jobs", json={**body, "run": "asap", "at": None})).json()
    assert first["created"] is True
    assert second["created"] is False
    assert second["job"]["id"] == first["job"]["id"]
    assert second["job"]["next_run_at"] == "2099-01-01T00:00:00+00:00"
    listed = (await demo.client.get("/jobs")).json()
    mine = [j["id"] for j in listed["jobs"] if j["tenant"] != "system"]
    assert mine == [first["job"]["id"]]
    assert listed["counts"]["queued"] == 2  # and the nightly roadmap system job


async def test_cancel_a_queued_job_only(demo: Demo) -> None:
    body = {"request": QA, "run": "at", "at": "2099-01-01T00:00:00Z"}
    job_id = (await demo.client.post("/jobs", json=body)).json()["job"]["id"]
    cancelled = await demo.client.delete(f"/jobs/{job_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    again = await demo.client.delete(f"/jobs/{job_id}")
    assert again.status_code == 409
    assert "only a queued job can be cancelled" in again.json()["error"]["message"]
    assert [e["job_id"] for e in demo.events("job.cancelled")] == [job_id]
    missing = await demo.client.get("/jobs/job_nope")
    assert missing.status_code == 404
    only_done = (await demo.client.get("/jobs", params={"state": "done"})).json()
    assert only_done["jobs"] == []


async def test_refusals_name_the_field(demo: Demo) -> None:
    cases = [
        ({"request": QA, "run": "cron"}, "cron: required"),
        ({"request": QA, "run": "cron", "cron": "61 * * * *"}, "not a valid cron"),
        ({"request": QA, "run": "cron", "cron": "* * * *"}, "has 4 fields"),
        ({"request": QA, "run": "cron", "cron": "0 3 * * *", "tz": "Mars/Base"}, "tz: unknown"),
        ({"request": QA, "run": "at"}, "at: required"),
        ({"request": QA, "run": "at", "at": "2099-01-01T00:00:00"}, "needs a UTC offset"),
        ({"request": {**QA, "stream": True}}, "cannot stream"),
    ]
    for body, said in cases:
        response = await demo.client.post("/jobs", json=body)
        assert response.status_code == 422, body
        assert said in response.text, (body, response.text)
    unknown = await demo.client.post("/jobs", json={"request": {**QA, "tenant": "nobody"}})
    assert unknown.status_code == 404
    assert "unknown tenant 'nobody'" in unknown.text


async def test_cron_job_is_queued_for_its_next_start(demo: Demo) -> None:
    body = {"request": QA, "run": "cron", "cron": "30 2 * * *", "tz": "America/Los_Angeles"}
    response = (await demo.client.post("/jobs", json=body)).json()
    job_body = response["job"]
    assert job_body["state"] == "queued"
    assert job_body["deadline_at"] is None
    assert job_body["next_run_at"].endswith(("T09:30:00+00:00", "T10:30:00+00:00"))
    assert "cron '30 2 * * *' in America/Los_Angeles" in response["reason"]


async def test_next_window_runs_now_when_capacity_is_free(demo: Demo) -> None:
    response = await demo.client.post("/jobs", json={"request": QA, "run": "next_window"})
    body = response.json()
    assert response.status_code == 200, body
    assert "openai/chatgpt-plus" in body["reason"]
    await wait_state(demo, body["job"]["id"], "done")
