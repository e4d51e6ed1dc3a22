"""The configuration shipped in the package: identical to config/, used when config/ is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.settings.config_files import (
    DEFAULT_POLICY,
    DEFAULT_WINDOWS,
    DEMO_POLICY,
    packaged,
    resolve_config,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["router.policy.yml", "model.windows.yml", "demo.policy.yml"])
def test_packaged_copy_matches_the_repository(name: str) -> None:
    assert packaged(name).read_bytes() == (ROOT / "config" / name).read_bytes(), (
        f"src/symphony/defaults/{name} differs from config/{name}: copy it over"
    )


def test_working_directory_files_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert resolve_config(DEFAULT_POLICY, DEFAULT_WINDOWS) == (DEFAULT_POLICY, DEFAULT_WINDOWS)


def test_packaged_files_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_config(DEMO_POLICY, DEFAULT_WINDOWS) == (
        packaged("demo.policy.yml"),
        packaged("model.windows.yml"),
    )
    assert resolve_config(DEFAULT_POLICY, None) == (packaged("router.policy.yml"), None)


def test_named_files_and_an_own_policy_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    mine = Path("my.policy.yml")
    assert resolve_config(mine, DEFAULT_WINDOWS) == (mine, DEFAULT_WINDOWS)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "router.policy.yml").write_text("x")
    # an own config/router.policy.yml never gets the packaged windows (they name other models)
    assert resolve_config(DEFAULT_POLICY, DEFAULT_WINDOWS) == (DEFAULT_POLICY, DEFAULT_WINDOWS)
