"""Options shared by every command that reads policy or the data directory."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import yaml

from symphony.policy.loader import load_policy_files
from symphony.policy.model import PolicySnapshot
from symphony.policy.parse_windows import SEED_KEY_TO_MODEL
from symphony.settings import Settings
from symphony.settings.config_files import resolve_config


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="FILE",
        default=None,
        help="policy file (env SYMPHONY_POLICY_FILE, default config/router.policy.yml)",
    )
    parser.add_argument(
        "--windows",
        metavar="FILE",
        default=None,
        help="windows file (env SYMPHONY_WINDOWS_FILE, default config/model.windows.yml)",
    )


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="data directory (env SYMPHONY_DATA_DIR, default ./data)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment settings with any command-line overrides applied."""
    settings = Settings.from_env(os.environ)
    overrides: dict[str, Path] = {}
    if getattr(args, "policy", None):
        overrides["policy_file"] = Path(args.policy)
    if getattr(args, "windows", None):
        overrides["windows_file"] = Path(args.windows)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    settings = settings.replace(**overrides)
    # config/… absent from the working directory: the copies shipped in the package.
    policy, windows = resolve_config(settings.policy_file, settings.windows_file)
    return settings.replace(policy_file=policy, windows_file=windows)


def load_snapshot(settings: Settings) -> PolicySnapshot:
    return load_policy_files(settings.policy_file, settings.windows_file)


def windows_named(args: argparse.Namespace) -> bool:
    """Whether the operator named a windows file (--windows, SYMPHONY_WINDOWS_FILE)."""
    return bool(getattr(args, "windows", None) or os.environ.get("SYMPHONY_WINDOWS_FILE"))


def schedule_models(windows: Path) -> set[str] | None:
    """The policy models a windows file schedules (None: not a readable mapping of models)."""
    try:
        doc = yaml.safe_load(windows.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, dict):
        return None
    return {
        str(entry.get("model")) if isinstance(entry, dict) and entry.get("model") else
        SEED_KEY_TO_MODEL.get(str(key), str(key))
        for key, entry in models.items()
    }  # fmt: skip


def strangers(policy: PolicySnapshot, windows: Path) -> list[str]:
    """Models `windows` schedules that `policy` does not declare (a file written for another
    policy, such as the default windows file beside an operator's own policy)."""
    return sorted((schedule_models(windows) or set()) - set(policy.models_by_name))


def own_windows(args: argparse.Namespace, settings: Settings, notes: list[str]) -> Settings:
    """Leave out a default windows file that schedules models the policy does not declare
    (it was written for another policy), adding a note; a named one is always read."""
    windows = settings.windows_file
    if windows is None or windows_named(args) or not windows.is_file():
        return settings
    others = strangers(load_policy_files(settings.policy_file, None), windows)
    if not others:
        return settings
    notes.append(
        f"note: {windows} left out: it schedules models {settings.policy_file} does not"
        f" declare ({', '.join(others)}); name a windows file with --windows"
        " (env SYMPHONY_WINDOWS_FILE)"
    )
    return settings.replace(windows_file=None)
