"""A readable diff between two policy snapshots, and which lines need two-person approval.

Each snapshot is flattened to `path: value` leaves, e.g.
`policy.models[anthropic/claude-pro].quota.cap: 45`; the diff lists every leaf that was
added, removed or changed as `path: old → new` (`∅` for absent). A line is *governed* when
its path touches a quota, cap, window, schedule, power window, budget or reserve fraction:
those are the changes that production mode holds for approval.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from symphony.policy.model import PolicySnapshot

ABSENT = "∅"
# Path segments (field names, without any [key]) that make a change governed.
GOVERNED_SEGMENTS = frozenset(
    {
        "quota",
        "schedules",
        "power_windows",
        "budgets",
        "reserve_fraction",
        "max_cost_usd",
        "max_usd_per_window",
        "window",
    }
)
_KEYS = re.compile(r"\[[^\]]*\]")
# Snapshot fields that are derived or bookkeeping, not policy.
_SKIP = frozenset({"version", "files", "models_by_name"})


@dataclass(frozen=True, slots=True)
class DiffLine:
    path: str
    old: str
    new: str
    governed: bool

    def __str__(self) -> str:
        return f"{self.path}: {self.old} → {self.new}"


def is_governed(path: str) -> bool:
    """True when a change at `path` needs approval in production."""
    for name in _KEYS.sub("", path).split("."):  # field names only, not [keys]
        if name in GOVERNED_SEGMENTS or "cap" in name.split("_"):
            return True
    return False


def diff_snapshots(old: PolicySnapshot, new: PolicySnapshot) -> list[DiffLine]:
    """Every leaf that differs between the snapshots, in a stable order."""
    before = dict(flatten(old))
    after = dict(flatten(new))
    lines: list[DiffLine] = []
    for path in sorted(before.keys() | after.keys()):
        was, now = before.get(path, ABSENT), after.get(path, ABSENT)
        if was != now:
            lines.append(DiffLine(path, was, now, is_governed(path)))
    return lines


def flatten(snapshot: PolicySnapshot) -> Iterator[tuple[str, str]]:
    """Yield (path, rendered value) for every leaf of the snapshot."""
    for field in dataclasses.fields(snapshot):
        if field.name in _SKIP:
            continue
        value = getattr(snapshot, field.name)
        if field.name == "models":
            value = {m.name: m for m in value}
        elif field.name == "routing_rules":
            value = {r.name: r for r in value}
        yield from _walk(f"policy.{field.name}", value)


def _walk(path: str, value: Any) -> Iterator[tuple[str, str]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            if field.name in ("name", "key") and path.endswith("]"):
                continue  # already in the path
            yield from _walk(f"{path}.{field.name}", getattr(value, field.name))
    elif isinstance(value, Mapping):
        for key in sorted(value, key=str):
            yield from _walk(f"{path}[{key}]", value[key])
    elif isinstance(value, tuple) and any(dataclasses.is_dataclass(v) for v in value):
        for index, item in enumerate(value):
            yield from _walk(f"{path}[{index}]", item)
    else:
        yield path, render(value)


def render(value: Any) -> str:
    """A short, stable text for a leaf value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, frozenset | set):
        return "[" + ", ".join(sorted(render(v) for v in value)) + "]"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
