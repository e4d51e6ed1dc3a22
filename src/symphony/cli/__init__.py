"""The `symphony` command: each area registers its own subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from symphony import __version__


def build_parser() -> argparse.ArgumentParser:
    from symphony.cli import (
        drill_cmd,
        jobs_cmd,
        ops,
        plan_cmd,
        policy_cmds,
        serve_cmds,
        settings_cmd,
        slo_cmds,
        snapshot_cmd,
        web_cmds,
    )

    parser = argparse.ArgumentParser(
        prog="symphony", description="Symphony: the LLM control tower."
    )
    parser.add_argument("--version", action="version", version=f"symphony {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        serve_cmds,
        policy_cmds,
        plan_cmd,
        ops,
        web_cmds,
        snapshot_cmd,
        settings_cmd,
        slo_cmds,
        drill_cmd,
        jobs_cmd,
    ):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from symphony.settings import SettingsError

    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        return 130
    except SettingsError as exc:  # a bad SYMPHONY_* variable: its name, not a traceback
        print(f"symphony: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
