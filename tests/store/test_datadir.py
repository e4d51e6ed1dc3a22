"""Demo records and a real service's never share a data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.errors import DataDirError
from symphony.store.datadir import DEMO_MARKER, claim_data_dir


def test_demo_marks_its_directory_and_a_real_service_refuses_it(tmp_path: Path) -> None:
    claim_data_dir(tmp_path / "demo", demo=True)
    assert (tmp_path / "demo" / DEMO_MARKER).is_file()
    claim_data_dir(tmp_path / "demo", demo=True)  # demo again: its own directory
    with pytest.raises(DataDirError, match="holds demo-mode records"):
        claim_data_dir(tmp_path / "demo", demo=False)


def test_demo_refuses_a_directory_with_real_records(tmp_path: Path) -> None:
    claim_data_dir(tmp_path, demo=False)  # a fresh directory is anyone's
    (tmp_path / "ledger.db").write_bytes(b"")  # calls were served here
    claim_data_dir(tmp_path, demo=False)
    with pytest.raises(DataDirError, match="holds records of a real service"):
        claim_data_dir(tmp_path, demo=True)
    assert not (tmp_path / DEMO_MARKER).exists()


async def test_the_service_builder_refuses_demo_records(tmp_path: Path) -> None:
    from symphony.clock import SystemClock
    from symphony.services import build_services
    from symphony.settings import Settings

    claim_data_dir(tmp_path, demo=True)
    with pytest.raises(DataDirError):
        build_services(Settings(data_dir=tmp_path), SystemClock(), {})
    assert not (tmp_path / "ledger.db").exists()


def test_keys_made_ahead_for_a_demo_do_not_make_a_directory_real(tmp_path: Path) -> None:
    (tmp_path / "keys.db").write_bytes(b"")  # `symphony keys create --data-dir` before a demo
    (tmp_path / "audit.db").write_bytes(b"")
    claim_data_dir(tmp_path, demo=True)
    assert (tmp_path / DEMO_MARKER).is_file()
