"""Watches the policy files and reloads within a second of a change (watchfiles/inotify)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import awatch

log = logging.getLogger("symphony.policy")


async def watch_policy(
    files: list[Path], on_change: Callable[[], None], stop: asyncio.Event
) -> None:
    """Call `on_change` whenever one of `files` changes (editors replace files: watch dirs)."""
    targets = {f.resolve() for f in files}
    dirs = sorted({str(f.parent) for f in targets})
    try:
        async for changes in awatch(*dirs, stop_event=stop, debounce=200, step=50, recursive=False):
            if any(Path(path).resolve() in targets for _, path in changes):
                try:
                    on_change()
                except Exception:  # the watcher must outlive any single bad reload
                    log.exception("policy reload failed")
    except FileNotFoundError:
        log.warning("policy directory vanished; hot reload stopped")
