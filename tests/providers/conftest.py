"""Fixtures shared by the provider wire-format tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    """A respx router for the documented wire formats (unmatched routes are an error)."""
    with respx.mock(assert_all_called=False) as router:
        yield router
