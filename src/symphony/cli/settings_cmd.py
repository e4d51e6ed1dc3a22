"""`symphony settings env-example`: print `.env.example`, generated from the settings models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from symphony.incidents.config import IncidentsSettings
from symphony.ingest.config import WebSettings
from symphony.rag.config import RagSettings
from symphony.settings import EnvSettings, Settings
from symphony.settings.env_example import render_env_example

# Every settings model of the service, in .env.example order.
SETTINGS_MODELS: tuple[type[EnvSettings], ...] = (
    Settings,
    WebSettings,
    RagSettings,
    IncidentsSettings,
)


def env_example() -> str:
    """The .env.example text for every settings model."""
    return render_env_example(*SETTINGS_MODELS)


def register(sub: Any) -> None:
    """Add `symphony settings` to the `symphony` parser."""
    settings = sub.add_parser("settings", help="the SYMPHONY_* settings: generate .env.example")
    actions = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    example = actions.add_parser(
        "env-example", help="print every setting with its default and description"
    )
    example.add_argument(
        "--check",
        type=Path,
        metavar="FILE",
        default=None,
        help="compare with FILE instead of printing; exit 1 when it is out of date",
    )
    example.set_defaults(handler=run_env_example)


def run_env_example(args: argparse.Namespace) -> int:
    """Print the generated file, or check a committed one against it."""
    text = env_example()
    if args.check is None:
        sys.stdout.write(text)
        return 0
    if args.check.read_text(encoding="utf-8") != text:
        print(
            f"{args.check} is out of date: run `symphony settings env-example > {args.check}`",
            file=sys.stderr,
        )
        return 1
    return 0
