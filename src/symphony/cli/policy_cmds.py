"""`symphony policy check`, `symphony windows`, `symphony usage record`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from symphony.cli.common import (
    add_data_option,
    add_policy_options,
    own_windows,
    settings_from,
    strangers,
    windows_named,
)
from symphony.cli.ledger_open import ledger_where, open_ledger
from symphony.clock import FixedClock, SystemClock, parse_instant
from symphony.errors import PolicyError
from symphony.policy.loader import load_policy_files
from symphony.policy.model import PolicySnapshot
from symphony.settings import Settings
from symphony.windows.admission import ReservationBook
from symphony.windows.calendar import local_iso
from symphony.windows.engine import compute_state
from symphony.windows.service import WindowService
from symphony.windows.state import WindowState
from symphony.windows.usage import UsageEvent, UsageIndex


def register(sub: Any) -> None:
    """Add the policy, windows and usage commands to the `symphony` parser."""
    policy = sub.add_parser("policy", help="validate policy files")
    policy.set_defaults(handler=lambda _args: _help(policy))
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")
    check = policy_sub.add_parser(
        "check", help="validate policy files; print a summary or every error"
    )
    check.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="policy files to check (default: --policy / SYMPHONY_POLICY_FILE)",
    )
    add_policy_options(check)
    check.set_defaults(handler=cmd_policy_check)

    windows = sub.add_parser("windows", help="every model's window state at an instant")
    windows.add_argument("--at", metavar="ISO8601", help="instant to evaluate (default: now)")
    windows.add_argument("--json", action="store_true", help="print JSON instead of a table")
    windows.add_argument("--tenant", default="default", help="tenant whose power windows apply")
    add_policy_options(windows)
    add_data_option(windows)
    windows.set_defaults(handler=cmd_windows)

    usage = sub.add_parser("usage", help="feed the usage ledger by hand")
    usage.set_defaults(handler=lambda _args: _help(usage))
    usage_sub = usage.add_subparsers(dest="usage_command", metavar="SUBCOMMAND")
    record = usage_sub.add_parser("record", help="record one request in the usage ledger")
    record.add_argument("--model", required=True, help="policy model name (provider/model)")
    record.add_argument("--tokens", type=_count, help="total tokens (counted as prompt tokens)")
    record.add_argument("--prompt-tokens", type=_count, help="prompt tokens")
    record.add_argument("--completion-tokens", type=_count, help="completion tokens")
    record.add_argument(
        "--cost", type=float, metavar="USD", help="cost in USD (default: policy price x tokens)"
    )
    record.add_argument("--at", metavar="ISO8601", help="instant of the request (default: now)")
    record.add_argument("--tenant", default="default", help="tenant to charge")
    add_policy_options(record)
    add_data_option(record)
    record.set_defaults(handler=cmd_usage_record)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _fail(lines: Sequence[str]) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return 1


def _windows_file(args: argparse.Namespace, settings: Settings) -> Path | None:
    """The windows file to read: a named one (--windows, SYMPHONY_WINDOWS_FILE) must exist;
    the default one is optional, so a policy alone can be checked."""
    path = settings.windows_file
    if path is not None and not windows_named(args) and not path.exists():
        return None
    return path


def _load(policy: Path, windows: Path | None) -> PolicySnapshot:
    if windows is not None and not windows.exists():
        raise PolicyError([f"{windows}: cannot read windows file: No such file or directory"])
    return load_policy_files(policy, windows)


def _snapshot(args: argparse.Namespace, settings: Settings) -> PolicySnapshot:
    notes: list[str] = []
    settings = own_windows(args, settings, notes)
    if notes:
        _fail(notes)
    return _load(settings.policy_file, _windows_file(args, settings))


# --- policy check -------------------------------------------------------------------------
WINDOWS_NAME = "model.windows.yml"


def _check_one(file: Path, windows: Path | None) -> PolicySnapshot:
    """A policy alone, with the windows file when one is named, or with the one beside it
    when that names only models this policy declares (else a note says it was left out)."""
    if windows is not None:
        return _load(file, windows)
    alone = load_policy_files(file, None)
    beside = file.parent / WINDOWS_NAME
    if not beside.is_file():
        return alone
    others = strangers(alone, beside)
    if not others:
        return _load(file, beside)
    print(
        f"note: {beside} not checked: it schedules models {file} does not declare"
        f" ({', '.join(others)}); check them together with --windows {beside}",
        file=sys.stderr,
    )
    return alone


def cmd_policy_check(args: argparse.Namespace) -> int:
    """Validate each policy file, alone or with its windows file; exit 1 listing every error."""
    settings = settings_from(args)
    files = [Path(f) for f in args.files] or [settings.policy_file]
    windows = settings.windows_file if windows_named(args) else None
    failed = False
    for file in files:
        try:
            snap = _check_one(file, windows)
        except PolicyError as exc:
            failed = True
            _fail(exc.errors)
            continue
        names = " + ".join(snap.files)
        print(
            f"ok: {names} — version {snap.version}, {len(snap.models)} models, "
            f"{len(snap.routing_rules)} rules, {len(snap.tenants)} tenants, "
            f"{len(snap.schedules)} schedules"
        )
    return 1 if failed else 0


# --- windows ------------------------------------------------------------------------------
def _instant(text: str | None) -> datetime:
    return SystemClock().now() if text is None else parse_instant(text)


def window_states(
    snapshot: PolicySnapshot, settings: Settings, at: datetime, tenant: str = "default"
) -> list[WindowState]:
    """Every model's state at `at`, counting ledger usage recorded up to then."""
    store = open_ledger(settings, create=False)
    if store is not None:
        try:
            service = WindowService(store, FixedClock(at), ReservationBook.local(FixedClock(at)))
            service.load()
            return service.matrix(snapshot, at, tenant)
        finally:
            store.close()
    # No ledger yet: nothing has been used (and a read-only command creates no files).
    index = UsageIndex()
    tenant_spec = snapshot.tenants.get(tenant)
    return [
        compute_state(
            spec,
            index,
            at,
            schedule=snapshot.schedules.get(spec.name),
            tenant_windows=tuple(
                w
                for w in (tenant_spec.power_windows if tenant_spec else ())
                if w.model == spec.name
            ),
            reserve_fraction=snapshot.reserve_fraction(spec),
            tz=snapshot.defaults.timezone,
        )
        for spec in snapshot.models
    ]


def cmd_windows(args: argparse.Namespace) -> int:
    """Print every model's window state at --at (default now) as a table or JSON."""
    settings = settings_from(args)
    try:
        at = _instant(args.at)
    except ValueError as exc:
        return _fail([f"--at: {exc}"])
    try:
        snapshot = _snapshot(args, settings)
    except PolicyError as exc:
        return _fail(exc.errors)
    if args.tenant not in snapshot.tenants:
        known = ", ".join(sorted(snapshot.tenants))
        return _fail([f"unknown tenant '{args.tenant}' (policy tenants: {known})"])
    states = window_states(snapshot, settings, at, args.tenant)
    if args.json:
        sys.stdout.write(orjson.dumps([s.to_dict() for s in states]).decode() + "\n")
        return 0
    _print_table(states, at, snapshot.defaults.timezone)
    return 0


def _amount(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _power(state: WindowState) -> str:
    window = state.next_power_window
    if window is None:
        return "-"
    label = "open until" if state.power_window_open else "next"
    when = window.end_local if state.power_window_open else window.start_local
    return f"{label} {when[:16].replace('T', ' ')}"


def _print_table(states: Sequence[WindowState], at: datetime, tz: str) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=180)
    table = Table(title=f"Windows at {local_iso(at, tz)} ({tz})")
    for column in (
        "model",
        "window",
        "used/cap",
        "remaining",
        "resets (local)",
        "eta",
        "source",
        "power window",
    ):
        table.add_column(column)
    for s in states:
        remaining = "-" if s.remaining_fraction is None else f"{s.remaining_fraction:.0%}"
        if not s.open:
            remaining += f" ({s.closed_reason})"
        elif s.reserve_hold:
            remaining += " (reserve)"
        resets = "-" if s.resets_at_local is None else s.resets_at_local[:16].replace("T", " ")
        table.add_row(
            s.model,
            s.label,
            f"{_amount(s.used)}/{_amount(s.cap)} {s.unit}",
            remaining,
            resets,
            _eta(s.eta_seconds),
            s.source,
            _power(s),
        )
    console.print(table)


# --- usage record -------------------------------------------------------------------------
def cmd_usage_record(args: argparse.Namespace) -> int:
    """Record one request for --model in the ledger; print what was recorded."""
    settings = settings_from(args)
    if args.tokens is not None and (
        args.prompt_tokens is not None or args.completion_tokens is not None
    ):
        return _fail(["use either --tokens or --prompt-tokens/--completion-tokens, not both"])
    try:
        at = _instant(args.at)
    except ValueError as exc:
        return _fail([f"--at: {exc}"])
    try:
        snapshot = _snapshot(args, settings)
    except PolicyError as exc:
        return _fail(exc.errors)
    spec = snapshot.model(args.model)
    if spec is None:
        known = ", ".join(m.name for m in snapshot.models)
        return _fail([f"unknown model '{args.model}' (policy models: {known})"])
    if args.tenant not in snapshot.tenants:
        known = ", ".join(sorted(snapshot.tenants))
        return _fail([f"unknown tenant '{args.tenant}' (policy tenants: {known})"])
    prompt = args.tokens if args.tokens is not None else (args.prompt_tokens or 0)
    completion = 0 if args.tokens is not None else (args.completion_tokens or 0)
    if args.cost is not None:
        cost = args.cost
    elif spec.price is not None:
        cost = spec.price.cost(prompt, completion)
    else:
        cost = 0.0
    if cost < 0:
        return _fail([f"--cost must not be negative, got {cost}"])
    event = UsageEvent(
        at=at,
        model=spec.name,
        tenant=args.tenant,
        requests=1,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=cost,
    )
    store = open_ledger(settings, create=True)
    assert store is not None  # create=True always opens one
    try:
        store.record_sync([event])
    finally:
        store.close()
    print(
        f"recorded: 1 request to {spec.name} for tenant {args.tenant} at "
        f"{at.isoformat().replace('+00:00', 'Z')}: {prompt} prompt + {completion} completion "
        f"tokens, ${cost:.6f} (ledger {ledger_where(settings)})"
    )
    return 0
