"""Settings for the jobs tests (importable: conftest modules are not)."""

from __future__ import annotations

from pathlib import Path

from app_support import demo_settings
from symphony.settings import Settings


def jobs_settings(tmp: Path, **changes: object) -> Settings:
    """Demo settings with a fast-polling worker and no retry delay."""
    return demo_settings(tmp).replace(
        jobs_poll_interval_s=0.05, jobs_retry_backoff_s=0.0, **changes
    )
