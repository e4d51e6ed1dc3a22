"""Fixtures for the observability pack tests; helpers live in obs_stack.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from obs_stack import Symphony, start_symphony


@pytest.fixture
def symphony_server(tmp_path: Path) -> Iterator[Symphony]:
    """A real `symphony serve --demo` on free ports."""
    server = start_symphony(tmp_path)
    try:
        yield server
    finally:
        server.process.stop()
