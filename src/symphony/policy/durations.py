"""Duration text used in policy files: '3h', '90m', '60s', '1h30m', '7d', '00:25'."""

from __future__ import annotations

import re
from datetime import time, timedelta

from symphony.windows.specs import format_duration

__all__ = ["format_duration", "parse_clock", "parse_duration"]

_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_COMPOUND = re.compile(r"^(?:(\d+(?:\.\d+)?)([wdhms]))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_duration(value: object) -> timedelta:
    """Parse a positive duration; raise ValueError naming the bad text."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        clock = _CLOCK.match(text)
        if clock:
            seconds = int(clock.group(1)) * 3600 + int(clock.group(2)) * 60
        elif _COMPOUND.match(text):
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
        else:
            raise ValueError(f"invalid duration '{value}' (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)")
    else:
        raise ValueError(f"invalid duration {value!r}")
    if seconds <= 0:
        raise ValueError(f"duration '{value}' must be positive")
    return timedelta(seconds=seconds)


def parse_clock(value: object) -> time:
    """Parse 'HH:MM' wall-clock text."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads 06:05 unquoted as a sexagesimal integer (365).
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str):
        raise ValueError(f"invalid time of day {value!r} (use 'HH:MM')")
    match = _CLOCK.match(value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"invalid time of day '{value}' (use 'HH:MM', 00:00-23:59)")
    return time(int(match.group(1)), int(match.group(2)))
