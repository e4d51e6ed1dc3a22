"""Which mode a data directory belongs to: demo mode marks its directory, and a real service
refuses a marked one (and demo mode refuses a directory that already holds real records),
so simulated calls never reach a real ledger or audit trail."""

from __future__ import annotations

from pathlib import Path

from symphony.errors import DataDirError

__all__ = ["DEMO_MARKER", "claim_data_dir"]

DEMO_MARKER = "DEMO-MODE-DATA"
# The usage ledger: a service writes it on first start, so it means calls were served here
# (keys and their audit, from `symphony keys create`, may be made ahead for a demo).
RECORDS = ("ledger.db",)
NOTE = "This directory holds demo-mode records (simulated calls); a real service refuses it.\n"


def claim_data_dir(data_dir: Path, *, demo: bool) -> None:
    """Mark `data_dir` for demo mode, or check it holds no demo records (real mode).

    Raises DataDirError naming the directory and what to do."""
    marker = data_dir / DEMO_MARKER
    if demo:
        if not marker.exists() and any((data_dir / name).exists() for name in RECORDS):
            raise DataDirError(
                f"{data_dir} holds records of a real service; demo mode will not write"
                " simulated calls there: use another SYMPHONY_DEMO_DATA_DIR"
            )
        data_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(NOTE, encoding="utf-8")
    elif marker.exists():
        raise DataDirError(
            f"{data_dir} holds demo-mode records ({marker}); a real service will not read"
            " them: use another SYMPHONY_DATA_DIR (or --data-dir)"
        )
