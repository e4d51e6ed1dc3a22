"""Shared plumbing of the web commands: settings, governance file, the service stack."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml

from symphony.cli.common import add_data_option, settings_from
from symphony.clock import SystemClock
from symphony.ingest.config import load_settings
from symphony.ingest.governance import WebGovernance
from symphony.ingest.stack import WebStack, open_web_stack
from symphony.policy.loader import load_policy_files
from symphony.policy.web import WebPolicy


def add_web_options(parser: argparse.ArgumentParser) -> None:
    add_data_option(parser)
    parser.add_argument(
        "--governance",
        metavar="FILE",
        default=None,
        help="YAML with the web governance knobs (a mapping, or one under a `web:` key); "
        "default: the policy file's `web:` section",
    )


def load_governance(path: str | None) -> WebGovernance:
    """WebGovernance from a YAML file (defaults when no file is given)."""
    if path is None:
        return WebGovernance()
    doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if isinstance(doc, dict) and isinstance(doc.get("web"), dict):
        doc = doc["web"]
    return WebGovernance.from_mapping(doc, root=f"{path}: web")


def open_stack(args: argparse.Namespace) -> WebStack:
    """The ingest + RAG stack over the data directory the server uses, governed by
    `--governance FILE` or else the policy file's `web:` section (as the server is)."""
    settings = settings_from(args)
    web, rag = load_settings(os.environ)
    path = getattr(args, "governance", None)
    governance: WebPolicy = (
        load_governance(path)
        if path is not None or not Path(settings.policy_file).exists()
        else load_policy_files(Path(settings.policy_file), settings.windows_file).web
    )
    return open_web_stack(
        data_dir=Path(settings.data_dir),
        web=web,
        rag=rag,
        governance=lambda: governance,
        clock=SystemClock(),
        durability=settings.durability,
    )
