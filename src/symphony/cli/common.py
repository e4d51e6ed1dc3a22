"""Options shared by every command that reads policy or the data directory."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from symphony.policy.loader import load_policy_files
from symphony.policy.model import PolicySnapshot
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
