"""Watches the policy files and reloads within a second of a change (watchfiles/inotify).

Only the files themselves are watched, never their folder, so a log file written beside the
policy costs nothing. A file watch follows one inode, and editors (and Kubernetes ConfigMaps)
replace a file by renaming another over it, so the watch is re-armed after every change, on
the named path and its real path (a symlink's target). What triggers a reload is a change of
the files' signature (real path, inode, mtime, size), compared on every event and once a
second, so an edit that lands while the watch is re-arming is still seen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import awatch

log = logging.getLogger("symphony.policy")

Signature = tuple[tuple[str, int, int, int] | None, ...]
RECHECK_MS = 1000  # the safety net: compare signatures at least this often
MISSING_WAIT_S = 0.25  # every file gone (mid-replace): look again after this long


def watch_paths(files: list[Path]) -> list[Path]:
    """The named paths and, where different, their real paths (symlink targets)."""
    paths: list[Path] = []
    for file in files:
        for path in (file.absolute(), file.resolve()):
            if path not in paths:
                paths.append(path)
    return paths


def signature(files: list[Path]) -> Signature:
    """What identifies the files' current content without reading it."""
    entries: list[tuple[str, int, int, int] | None] = []
    for file in files:
        try:
            st = file.stat()
        except OSError:
            entries.append(None)
            continue
        entries.append((os.path.realpath(file), st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(entries)


async def watch_policy(
    files: list[Path], on_change: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    """Await `on_change` whenever one of `files` changes, until `stop` is set (it must not
    block the loop: the reload parses off the event loop)."""
    seen = signature(files)

    async def check() -> None:
        nonlocal seen
        now = signature(files)
        if now == seen:
            return
        seen = now
        try:
            await on_change()
        except Exception:  # the watcher must outlive any single bad reload
            log.exception("policy reload failed")

    while not stop.is_set():
        present = [p for p in watch_paths(files) if p.exists()]
        if not present:
            await _wait(stop, MISSING_WAIT_S)
            await check()
            continue
        try:
            async for changes in awatch(
                *present,
                watch_filter=None,
                stop_event=stop,
                debounce=200,
                step=50,
                rust_timeout=RECHECK_MS,
                yield_on_timeout=True,
                recursive=False,
            ):
                await check()
                if changes:
                    break  # re-arm: the watched inode may have been replaced
        except FileNotFoundError:  # replaced between the listing and the watch
            await _wait(stop, MISSING_WAIT_S)
            await check()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
