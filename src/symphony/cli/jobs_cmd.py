"""`symphony jobs list|show`: the power-window job queue in the data directory, as a table.

Reads `jobs.db` directly (a running server may hold it: SQLite WAL lets readers in). To
submit or cancel, use the API (`POST /jobs`, `DELETE /jobs/{id}`): those are audited and
announced by the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from symphony.cli.common import add_data_option, settings_from
from symphony.store.jobs import JobRecord, JobState
from symphony.store.sqlite_jobs import SqliteJobQueue

STYLE = {"done": "green", "failed": "red", "dead": "bold red", "running": "cyan",
         "queued": "yellow", "cancelled": "dim"}  # fmt: skip


def register(sub: Any) -> None:
    jobs = sub.add_parser("jobs", help="the power-window job queue: list, show")
    actions = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="jobs, newest first, as a table")
    listing.add_argument("--state", choices=[s.value for s in JobState], default=None)
    listing.add_argument("--tenant", default=None, help="only this tenant's jobs")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_data_option(listing)
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="one job as JSON (request, result, history)")
    show.add_argument("job_id", metavar="ID")
    add_data_option(show)
    show.set_defaults(handler=run_show)


def _when(t: float | None) -> str:
    return "-" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _open(args: argparse.Namespace) -> SqliteJobQueue | None:
    path = settings_from(args).data_dir / "jobs.db"
    if not path.is_file():
        print(f"no job queue at {path} (no job submitted yet)", file=sys.stderr)
        return None
    return SqliteJobQueue.open(path)


def _record(job: JobRecord) -> dict[str, Any]:
    body = {k: getattr(job, k) for k in JobRecord.__dataclass_fields__}
    body["state"] = str(job.state)
    return body


def run_list(args: argparse.Namespace) -> int:
    queue = _open(args)
    if queue is None:
        return 0
    try:
        state = JobState(args.state) if args.state else None
        tenants = [args.tenant] if args.tenant else None
        jobs = asyncio.run(queue.search(tenants, state, args.limit))
    finally:
        queue.close()
    if args.json:
        for job in jobs:
            print(orjson.dumps(_record(job)).decode())
        return 0
    table = Table(title=f"jobs ({len(jobs)})")
    for column in ("id", "state", "tenant", "run", "next run", "attempts", "runs", "last"):
        table.add_column(column)
    for job in jobs:
        last = (job.error or {}).get("code") or (job.result or {}).get("audit_id") or "-"
        run = job.run.get("cron") or job.run.get("mode", "?")
        table.add_row(
            job.id, f"[{STYLE[job.state]}]{job.state}[/]", job.tenant, str(run),
            _when(job.next_run_at), f"{job.attempts}/{job.max_attempts}", str(job.runs),
            str(last),
        )  # fmt: skip
    Console().print(table)
    return 0


def run_show(args: argparse.Namespace) -> int:
    queue = _open(args)
    if queue is None:
        return 1
    try:
        job = asyncio.run(queue.get(args.job_id))
    finally:
        queue.close()
    if job is None:
        print(f"no job '{args.job_id}'", file=sys.stderr)
        return 1
    print(orjson.dumps(_record(job), option=orjson.OPT_INDENT_2).decode())
    return 0
