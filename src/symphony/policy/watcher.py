"""Watches the policy files and reloads within a second of a change (watchfiles/inotify)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from watchfiles import awatch

log = logging.getLogger("symphony.policy")


def _targets(files: list[Path]) -> tuple[set[str], list[str]]:
    """The files to react to, and the directories to watch (editors replace files)."""
    resolved = [f.resolve() for f in files]
    return {os.path.normpath(f) for f in resolved}, sorted({str(f.parent) for f in resolved})


def _touches(changes: Iterable[tuple[object, str]], targets: set[str]) -> bool:
    return any(os.path.normpath(path) in targets for _, path in changes)


async def watch_policy(
    files: list[Path], on_change: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    """Await `on_change` whenever one of `files` changes (it must not block the loop)."""
    targets, dirs = _targets(files)
    try:
        async for changes in awatch(*dirs, stop_event=stop, debounce=200, step=50, recursive=False):
            if _touches(changes, targets):
                try:
                    await on_change()
                except Exception:  # the watcher must outlive any single bad reload
                    log.exception("policy reload failed")
    except FileNotFoundError:
        log.warning("policy directory vanished; hot reload stopped")
