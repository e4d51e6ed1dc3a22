"""`symphony ingest URL…` and `symphony rag status|query|reindex`, in-process."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from symphony.cli.web_common import add_web_options, open_stack
from symphony.errors import SymphonyError
from symphony.ingest.outcome import Outcome
from symphony.ingest.service import STRATEGIES
from symphony.rag.models import ReindexProgress

_STYLE = {"ingested": "green", "duplicate": "cyan", "refused": "yellow", "failed": "red"}


def register(sub: Any) -> None:
    """Add `symphony ingest` and `symphony rag` to the `symphony` parser."""
    ingest = sub.add_parser("ingest", help="fetch web pages into the RAG corpus (robots.txt kept)")
    ingest.add_argument("urls", nargs="+", metavar="URL")
    ingest.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="visit",
        help="visit: render in Chromium (runs JavaScript); scrape: plain HTTP GET",
    )
    ingest.add_argument("--json", action="store_true", help="one JSON outcome per line")
    add_web_options(ingest)
    ingest.set_defaults(handler=cmd_ingest)

    rag = sub.add_parser("rag", help="the retrieval index: status, query, reindex")
    rag_sub = rag.add_subparsers(dest="rag_command", metavar="ACTION", required=True)
    status = rag_sub.add_parser("status", help="documents, chunks, staleness")
    status.add_argument("--json", action="store_true")
    add_web_options(status)
    status.set_defaults(handler=cmd_status)
    query = rag_sub.add_parser("query", help="ranked passages with citations")
    query.add_argument("q", metavar="QUERY")
    query.add_argument("-k", type=int, default=None, help="passages to return")
    query.add_argument("--json", action="store_true")
    add_web_options(query)
    query.set_defaults(handler=cmd_query)
    reindex = rag_sub.add_parser("reindex", help="re-fetch stale documents (--dry-run estimates)")
    reindex.add_argument("--dry-run", action="store_true", help="estimate only; fetch nothing")
    reindex.add_argument("--json", action="store_true")
    add_web_options(reindex)
    reindex.set_defaults(handler=cmd_reindex)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_ingest(args: argparse.Namespace) -> int:
    try:
        outcomes = asyncio.run(_ingest(args))
    except SymphonyError as exc:
        return _fail(exc.message)
    if args.json:
        for outcome in outcomes:
            sys.stdout.write(orjson.dumps(outcome.to_dict()).decode() + "\n")
    else:
        table = Table(box=None)
        table.add_column("URL", overflow="fold")
        table.add_column("OUTCOME")
        table.add_column("REASON")
        table.add_column("DETAIL", overflow="fold")
        for o in outcomes:
            style = _STYLE[o.outcome]
            table.add_row(o.url, f"[{style}]{o.outcome}[/]", o.reason or "", o.detail)
        Console().print(table)
    return 0 if all(o.outcome in ("ingested", "duplicate") for o in outcomes) else 1


async def _ingest(args: argparse.Namespace) -> list[Outcome]:
    stack = open_stack(args)
    console = Console(stderr=True)
    try:
        with Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=len(args.urls))

            def advance(outcome: Outcome) -> None:
                done = int(bar.tasks[0].completed) + 1
                total = max(int(bar.tasks[0].total or 0), done)
                bar.update(task, completed=done, total=total, description=outcome.url)

            return await stack.ingest.ingest(args.urls, args.strategy, progress=advance)
    finally:
        await stack.aclose()


def cmd_status(args: argparse.Namespace) -> int:
    async def run() -> dict[str, Any]:
        stack = open_stack(args)
        try:
            return (await stack.rag.status()).to_dict()
        finally:
            await stack.aclose()

    status = asyncio.run(run())
    if args.json:
        print(orjson.dumps(status).decode())
        return 0
    for key, value in status.items():
        print(f"{key:18} {value}")
    if status["stale"]:
        print(
            f"warning: index is stale (older than {status['stale_after_s']} s); "
            "run `symphony rag reindex`",
            file=sys.stderr,
        )
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    async def run() -> list[dict[str, Any]]:
        stack = open_stack(args)
        try:
            return [p.to_dict() for p in await stack.rag.query(args.q, args.k)]
        finally:
            await stack.aclose()

    passages = asyncio.run(run())
    if args.json:
        print(orjson.dumps({"query": args.q, "passages": passages}).decode())
        return 0
    if not passages:
        print("no passage matches", file=sys.stderr)
        return 0
    for rank, p in enumerate(passages, start=1):
        c = p["citation"]
        print(f"[{rank}] {p['score']:.3f}  {c['title']} <{c['url']}> fetched {c['fetched_at']}")
        print("    " + p["text"][:300].replace("\n", " "))
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    async def run() -> dict[str, Any]:
        stack = open_stack(args)
        try:
            if args.dry_run:
                return (await stack.rag.estimate_reindex()).to_dict()
            with Progress(
                TextColumn("[bold]reindex"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            ) as bar:
                task = bar.add_task("", total=None)

                def advance(step: ReindexProgress) -> None:
                    bar.update(task, completed=step.done, total=step.total, description=step.url)

                return (await stack.rag.reindex(progress=advance)).to_dict()
        finally:
            await stack.aclose()

    try:
        result = asyncio.run(run())
    except SymphonyError as exc:
        return _fail(exc.message)
    if args.json:
        print(orjson.dumps(result).decode())
        return 0
    if args.dry_run:
        print(
            f"would re-fetch {result['documents']} document(s) on {result['hosts']} host(s): "
            f"~{result['tokens']} tokens, ~{result['seconds']:.1f} s"
        )
        return 0
    print(
        f"reindexed {result['documents']} stale document(s): {result['ingested']} changed, "
        f"{result['unchanged']} unchanged, {result['refused']} refused, {result['failed']} "
        f"failed in {result['seconds']:.1f} s; last indexed {result['last_indexed_at']}"
    )
    return 0 if result["refused"] + result["failed"] == 0 else 1
