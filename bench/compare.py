"""`python -m bench.compare base=a.json main=b.json base=c.json ...`: runs side by side.

Made for before/after comparisons on a noisy shared machine: give interleaved runs of two
builds (label=path, in the order they ran) and it prints one Markdown row per run and, per
label, the median and the min-max spread of each metric. Compare the ratios to the floor
proxy (same run, same load) and the added latencies rather than absolute req/s.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.report import _cell

Metric = tuple[str, Callable[[dict[str, Any]], float | None], int]


def _ex(doc: dict[str, Any], target: str, conc: int, key: str) -> float | None:
    cell = _cell(doc["scenarios"].get("execute") or {}, "non-stream", conc, target)
    value = None if cell is None else cell.get(key)
    return None if value is None else float(value)


def _ttfb(doc: dict[str, Any]) -> float | None:
    ttfb = ((doc["scenarios"].get("execute") or {}).get("ttfb") or {}).get("symphony-fixed")
    return None if not ttfb else float(ttfb["added_ttfb_p50_ms"])


def _plan(doc: dict[str, Any], key: str) -> float | None:
    http = (doc["scenarios"].get("plan") or {}).get("http")
    if not http:
        return None
    value = http.get(key) if key == "ratio" else http["route_plan"].get(key)
    return None if value is None else float(value)


def _rss(doc: dict[str, Any], which: str) -> float | None:
    mem = doc["scenarios"].get("memory")
    if not mem:
        return None
    if which == "peak":
        return float(mem["peak_rss_mb"])
    return float(mem["points"][-1]["rss_mb"] if which == "last" else mem["points"][0]["rss_mb"])


METRICS: list[Metric] = [
    ("load avg (1m)", lambda d: float(d["machine"]["load_average_at_start"][0]), 2),
    ("floor c=32 req/s", lambda d: _ex(d, "floor", 32, "rps"), 0),
    ("fixed c=32 req/s", lambda d: _ex(d, "symphony-fixed", 32, "rps"), 0),
    ("fixed c=32 x floor", lambda d: _ex(d, "symphony-fixed", 32, "ratio_vs_floor"), 3),
    ("fixed c=32 p50 ms", lambda d: _ex(d, "symphony-fixed", 32, "p50_ms"), 1),
    ("fixed c=32 p99 ms", lambda d: _ex(d, "symphony-fixed", 32, "p99_ms"), 1),
    ("auto c=32 req/s", lambda d: _ex(d, "symphony-auto", 32, "rps"), 0),
    ("auto c=32 x floor", lambda d: _ex(d, "symphony-auto", 32, "ratio_vs_floor"), 3),
    ("auto c=32 p50 ms", lambda d: _ex(d, "symphony-auto", 32, "p50_ms"), 1),
    ("auto c=32 p99 ms", lambda d: _ex(d, "symphony-auto", 32, "p99_ms"), 1),
    ("fixed c=1 added p50 ms", lambda d: _ex(d, "symphony-fixed", 1, "added_p50_ms"), 2),
    ("stream TTFB added p50 ms", _ttfb, 2),
    ("/route/plan req/s", lambda d: _plan(d, "rps"), 0),
    ("/route/plan x bare", lambda d: _plan(d, "ratio"), 3),
    ("/route/plan p50 ms", lambda d: _plan(d, "p50_ms"), 1),
    ("RSS idle MiB", lambda d: _rss(d, "first"), 1),
    ("RSS after load MiB", lambda d: _rss(d, "last"), 1),
]


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def load(args: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """`label=path` arguments, in order, with each run's JSON."""
    runs = []
    for arg in args:
        label, sep, path = arg.partition("=")
        if not sep:
            raise SystemExit(f"bench.compare: expected label=path, got {arg!r}")
        runs.append((label, orjson.loads(Path(path).read_bytes())))
    return runs


def table(runs: list[tuple[str, dict[str, Any]]]) -> str:
    """Markdown: one column per run, then per label the median and the min-max spread."""
    labels = list(dict.fromkeys(label for label, _ in runs))
    counts: dict[str, int] = {}
    heads = []
    for label, _ in runs:
        counts[label] = counts.get(label, 0) + 1
        heads.append(f"{label} #{counts[label]}")
    heads += [f"{label} median (min-max)" for label in labels]
    lines = ["| metric | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
    for name, get, digits in METRICS:
        values = [get(doc) for _, doc in runs]
        cells = [_fmt(v, digits) for v in values]
        for label in labels:
            mine = [v for (lab, _), v in zip(runs, values, strict=True) if lab == label]
            got = [v for v in mine if v is not None]
            if not got:
                cells.append("-")
                continue
            med = statistics.median(got)
            cells.append(f"{_fmt(med, digits)} ({_fmt(min(got), digits)}-{_fmt(max(got), digits)})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    print(table(load(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
