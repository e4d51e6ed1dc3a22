"""The policy watcher: only the policy files, re-armed after editors replace them."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from app_support import poll_until
from symphony.policy.watcher import signature, watch_paths, watch_policy


@asynccontextmanager
async def watching(files: list[Path]) -> AsyncIterator[list[int]]:
    calls: list[int] = []
    stop = asyncio.Event()
    task = asyncio.create_task(watch_policy(files, lambda: calls.append(1), stop))
    await asyncio.sleep(0.3)  # let the first watch arm (a late one is caught by the recheck)
    try:
        yield calls
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def replace_atomically(path: Path, text: str) -> None:
    """What vim, VS Code and `kubectl` do: write a temporary file, rename it over the old."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


async def until(count: Callable[[], int], want: int) -> None:
    async def reached() -> bool:
        return count() >= want

    await poll_until(reached, f"{want} reloads")


async def test_quiet_beside_a_log_file_and_reloads_on_every_rename(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = tmp_path / "router.policy.yml"
    policy.write_text("version: 1\n")
    log_file = tmp_path / "symphony.log"
    caplog.set_level(logging.DEBUG, logger="watchfiles")  # it names what it saw
    async with watching([policy, tmp_path / "model.windows.yml"]) as calls:
        with log_file.open("a") as log:
            for i in range(50):
                log.write(f"line {i}\n")
                log.flush()
                await asyncio.sleep(0.01)
        # The rename's reload comes after every log write was delivered (one inotify queue).
        replace_atomically(policy, "version: 2\n")
        await until(lambda: len(calls), 1)
        replace_atomically(policy, "version: 3\n")  # the watch followed the new file
        await until(lambda: len(calls), 2)
        policy.write_text("version: 4\n")  # an in-place save too
        await until(lambda: len(calls), 3)
        # the windows file appears later: seen as well
        replace_atomically(tmp_path / "model.windows.yml", "models: {}\n")
        await until(lambda: len(calls), 4)
        for _ in range(20):
            log_file.write_text("more\n")
        replace_atomically(policy, "version: 5\n")
        await until(lambda: len(calls), 5)
    assert len(calls) == 5
    assert not [r for r in caplog.records if "symphony.log" in r.getMessage()]


async def test_follows_a_symlink_swap(tmp_path: Path) -> None:
    """A Kubernetes ConfigMap: policy.yml -> data/policy.yml, data -> a versioned folder that
    an update swaps by renaming a new symlink over `data`."""
    for version in ("v1", "v2"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "policy.yml").write_text(f"version: {version}\n")
    (tmp_path / "data").symlink_to("v1")
    policy = tmp_path / "policy.yml"
    policy.symlink_to("data/policy.yml")
    assert watch_paths([policy]) == [policy, tmp_path / "v1" / "policy.yml"]
    async with watching([policy]) as calls:
        (tmp_path / "data.new").symlink_to("v2")
        os.replace(tmp_path / "data.new", tmp_path / "data")
        await until(lambda: len(calls), 1)
    assert signature([policy])[0] is not None
    assert signature([policy])[0][0] == str(tmp_path / "v2" / "policy.yml")  # type: ignore[index]


async def test_a_failing_reload_does_not_stop_the_watcher(tmp_path: Path) -> None:
    policy = tmp_path / "p.yml"
    policy.write_text("a\n")
    calls: list[int] = []

    def boom() -> None:
        calls.append(1)
        raise RuntimeError("bad reload")

    stop = asyncio.Event()
    task = asyncio.create_task(watch_policy([policy], boom, stop))
    await asyncio.sleep(0.3)
    replace_atomically(policy, "b\n")
    await until(lambda: len(calls), 1)
    replace_atomically(policy, "c\n")
    await until(lambda: len(calls), 2)
    stop.set()
    await asyncio.wait_for(task, 10)
