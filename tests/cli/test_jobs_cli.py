"""`symphony jobs list|show` read the data directory's queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from symphony.cli import main
from symphony.store.jobs import JobRecord, JobState
from symphony.store.sqlite_jobs import SqliteJobQueue


def seed(data: Path) -> None:
    queue = SqliteJobQueue.open(data / "jobs.db")
    job = JobRecord(
        id="job_a", tenant="acme", state=JobState.QUEUED, run={"mode": "cron", "cron": "0 3 * * *"},
        request={"task": "qa"}, work={}, created_at=1.8e9, next_run_at=1.8e9 + 60,
    )  # fmt: skip
    asyncio.run(queue.submit(job))
    queue.close()


def test_list_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(tmp_path)
    assert main(["jobs", "list", "--data-dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "job_a" in table
    assert "0 3 * * *" in table
    assert main(["jobs", "list", "--json", "--state", "done", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["jobs", "show", "job_a", "--data-dir", str(tmp_path)]) == 0
    assert orjson.loads(capsys.readouterr().out)["tenant"] == "acme"
    assert main(["jobs", "show", "job_zz", "--data-dir", str(tmp_path)]) == 1
    assert "no job 'job_zz'" in capsys.readouterr().err
