"""Bounded good/bad counters in fixed-width time buckets (a ring), summed over windows."""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Sequence


class BucketRing:
    """Counts of good and bad events per bucket of `width` seconds, for the last `slots`
    buckets. Memory is fixed at construction; events older than the ring are dropped.

    A window of length L at instant t covers the buckets whose index lies in
    (idx(t) - ceil(L / width), idx(t)]: the window's edge is exact to one bucket width.
    """

    __slots__ = ("_bad", "_good", "_index", "newest", "slots", "width")

    def __init__(self, width: float, horizon: float) -> None:
        if width <= 0 or horizon <= 0:
            raise ValueError("width and horizon must be positive")
        self.width = width
        self.slots = max(1, math.ceil(horizon / width)) + 1
        self._index = array("q", [-1]) * self.slots
        self._good = array("q", [0]) * self.slots
        self._bad = array("q", [0]) * self.slots
        self.newest = -1

    def index(self, t: float) -> int:
        return math.floor(t / self.width)

    def add(self, t: float, good: bool, count: int = 1) -> bool:
        """Count events at `t` (epoch seconds); False when `t` is older than the ring."""
        idx = self.index(t)
        if self.newest >= 0 and idx <= self.newest - self.slots:
            return False
        slot = idx % self.slots
        if self._index[slot] != idx:
            if self._index[slot] > idx:  # the slot already holds a newer bucket
                return False
            self._index[slot] = idx
            self._good[slot] = 0
            self._bad[slot] = 0
        if good:
            self._good[slot] += count
        else:
            self._bad[slot] += count
        self.newest = max(self.newest, idx)
        return True

    def totals(self, t: float, lengths: Sequence[float]) -> list[tuple[int, int]]:
        """(good, bad) over each window length ending at `t`, in one backward pass."""
        if not lengths:
            return []
        now_idx = self.index(t)
        spans = [min(self.slots, max(1, math.ceil(length / self.width))) for length in lengths]
        order = sorted(range(len(spans)), key=spans.__getitem__)
        out: list[tuple[int, int]] = [(0, 0)] * len(spans)
        good = bad = 0
        step = 0
        for position in order:
            while step < spans[position]:
                idx = now_idx - step
                slot = idx % self.slots
                if self._index[slot] == idx:
                    good += self._good[slot]
                    bad += self._bad[slot]
                step += 1
            out[position] = (good, bad)
        return out


class LatencySample:
    """The most recent latencies (bounded), for a p95 shown in tickets and status."""

    __slots__ = ("_items",)

    def __init__(self, size: int = 2048) -> None:
        self._items: deque[tuple[float, float]] = deque(maxlen=size)

    def add(self, t: float, latency_ms: float) -> None:
        self._items.append((t, latency_ms))

    def quantile(self, q: float, since: float) -> float | None:
        """Nearest-rank quantile of the latencies at or after `since`; None without data."""
        values = sorted(v for at, v in self._items if at >= since)
        if not values:
            return None
        rank = max(1, math.ceil(q * len(values)))
        return values[rank - 1]
