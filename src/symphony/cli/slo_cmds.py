"""`symphony slo rules` (Prometheus rules from policy SLOs) and `symphony slo list`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from symphony.cli.common import add_policy_options, settings_from
from symphony.errors import PolicyError
from symphony.incidents.slo_rules import RuleOptions, render_rules, render_tests
from symphony.policy.loader import load_policy_files
from symphony.policy.model import PolicySnapshot
from symphony.windows.specs import format_duration


def register(sub: Any) -> None:
    """Add `symphony slo ...` to the parser."""
    slo = sub.add_parser("slo", help="service level objectives: list them, generate rules")
    slo.set_defaults(handler=lambda _args: _help(slo))
    slo_sub = slo.add_subparsers(dest="slo_command", metavar="SUBCOMMAND")
    rules = slo_sub.add_parser(
        "rules", help="print Prometheus recording and alerting rules for the policy's SLOs"
    )
    add_policy_options(rules)
    rules.add_argument("--out", metavar="FILE", help="write the rules here instead of stdout")
    rules.add_argument(
        "--tests",
        metavar="FILE",
        help="also write a `promtool test rules` file for them (needs --out)",
    )
    rules.add_argument(
        "--runbook-base",
        default="docs/runbook.md",
        metavar="URL",
        help="runbook_url prefix in alert annotations (default docs/runbook.md)",
    )
    rules.set_defaults(handler=cmd_rules)
    listing = slo_sub.add_parser("list", help="the policy's SLOs and their burn-rate windows")
    add_policy_options(listing)
    listing.set_defaults(handler=cmd_list)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _snapshot(args: argparse.Namespace) -> PolicySnapshot | None:
    settings = settings_from(args)
    try:
        # SLOs live in the policy file; the windows file is read only when named.
        return load_policy_files(settings.policy_file, Path(args.windows) if args.windows else None)
    except PolicyError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def cmd_rules(args: argparse.Namespace) -> int:
    """Print or write the rules (and optionally their unit tests)."""
    if args.tests and not args.out:
        print("--tests needs --out (the test file names the rule file)", file=sys.stderr)
        return 2
    snapshot = _snapshot(args)
    if snapshot is None:
        return 1
    if not snapshot.slos:
        print(f"{snapshot.files[0]}: policy.slos is empty; no rules to generate", file=sys.stderr)
        return 1
    opts = RuleOptions(
        runbook_base=args.runbook_base,
        source=snapshot.files[0],
        policy_version=snapshot.declared_version,
    )
    text = render_rules(snapshot.slos, opts)
    if not args.out:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    _write(out, text)
    print(f"wrote {out} ({len(snapshot.slos)} SLOs)", file=sys.stderr)
    if args.tests:
        tests = Path(args.tests)
        rule_file = os.path.relpath(out.resolve(), tests.resolve().parent)
        _write(tests, render_tests(snapshot.slos, rule_file, opts))
        print(f"wrote {tests} (promtool test rules {tests})", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Show every SLO with its objective, threshold and windows."""
    snapshot = _snapshot(args)
    if snapshot is None:
        return 1
    table = Table(title=f"SLOs in {snapshot.files[0]}")
    for column in ("name", "kind", "objective", "threshold", "period", "scope", "windows"):
        table.add_column(column)
    for s in snapshot.slos:
        scope = ", ".join(
            f"{k}={v}" for k, v in (("model", s.scope.model), ("rule", s.scope.rule)) if v
        )
        windows = "; ".join(
            f"{w.severity} {w.factor:g}x {format_duration(w.long)}/{format_duration(w.short)}"
            for w in s.windows
        )
        table.add_row(
            s.name,
            s.kind,
            f"{s.objective:g}",
            f"{s.threshold_ms} ms" if s.threshold_ms else "-",
            format_duration(s.period),
            scope or "all executes",
            windows,
        )
    Console(width=160).print(table)
    return 0
