"""`symphony plan`: explain, in-process, which model would run a task and why."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from symphony.cli.common import add_data_option, add_policy_options, settings_from
from symphony.cli.ledger_open import open_ledger
from symphony.clock import SystemClock
from symphony.errors import NoEligibleModelError, PolicyError, UnknownTenantError
from symphony.events.bus import EventBus
from symphony.execute.planning import PlanningService
from symphony.governance.killswitch import KillSwitch
from symphony.metrics.registry import Metrics
from symphony.policy.store import PolicyStore
from symphony.providers.credentials import Credentials
from symphony.routing.request import PlanRequest
from symphony.routing.stats import LatencyStats
from symphony.settings import Settings
from symphony.windows.admission import ReservationBook
from symphony.windows.ledger import EmptyUsageStore, UsageStore
from symphony.windows.service import WindowService

EXIT_NO_ELIGIBLE = 3


def register(sub: Any) -> None:
    """Add `symphony plan` to the `symphony` parser."""
    parser = sub.add_parser(
        "plan", help="explain which model would run a task and why (in-process, no server)"
    )
    parser.add_argument("--task", required=True, help="task name, e.g. qa, code, research")
    parser.add_argument(
        "--input",
        default="",
        metavar="TEXT",
        help="prompt text (sizes the estimate); - reads stdin",
    )
    parser.add_argument("--loa", type=_loa, default=1, help="level of autonomy 0-10 (default 1)")
    parser.add_argument("--tenant", default="default", help="tenant whose limits apply")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    add_policy_options(parser)
    add_data_option(parser)
    parser.set_defaults(handler=cmd_plan)


def _loa(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"must be between 0 and 10, got {value}")
    return value


def _windows_file(args: argparse.Namespace, settings: Settings) -> Path | None:
    """A named windows file must exist; the default one is optional."""
    path = settings.windows_file
    named = bool(getattr(args, "windows", None) or os.environ.get("SYMPHONY_WINDOWS_FILE"))
    if path is not None and not named and not path.exists():
        return None
    return path


def _open_ledger(settings: Settings) -> UsageStore:
    store = open_ledger(settings, create=False)
    return EmptyUsageStore() if store is None else store


def cmd_plan(args: argparse.Namespace) -> int:
    """Plan --task against the policy and the ledger; exit 3 when nothing is eligible."""
    settings = settings_from(args)
    text = sys.stdin.read() if args.input == "-" else args.input
    clock = SystemClock()
    policy = PolicyStore(settings.policy_file, _windows_file(args, settings), clock)
    try:
        policy.load_initial()
    except PolicyError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 1
    store = _open_ledger(settings)
    try:
        windows = WindowService(store, clock, ReservationBook.local(clock))
        windows.load()
        service = PlanningService(
            policy,
            windows,
            LatencyStats(),
            EventBus(clock),
            Metrics(),
            Credentials(os.environ),
            clock,
            killed=KillSwitch.open(settings.data_dir, clock).check,  # as the service plans
            simulated_prefixes=(),
        )
        request = PlanRequest(task=args.task, input=text, loa=args.loa, tenant=args.tenant)
        try:
            body = service.plan(request).to_dict()
        except UnknownTenantError as exc:
            print(exc.message, file=sys.stderr)
            return 1
        except NoEligibleModelError as exc:
            detail: dict[str, Any] = exc.detail if isinstance(exc.detail, dict) else {}
            failed = {"error": {"code": exc.code, "message": exc.message}, **detail}
            _emit(args, failed, exc.message)
            return EXIT_NO_ELIGIBLE
    finally:
        store.close()
    _emit(args, body, None)
    return 0


def _emit(args: argparse.Namespace, body: dict[str, Any], failure: str | None) -> None:
    if args.json:
        sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(render_table(body, args.task))
    controls = body.get("controls", {})
    cap = controls.get("max_cost_usd")
    console.print(
        f"rule: {controls.get('rule') or '-'}   LOA {controls.get('loa')} "
        f"(tenant {body['policy']['tenant']} max {body['policy']['loa_max']})   "
        f"cost cap: {'-' if cap is None else f'${cap:.2f}'}   policy {body['policy_version']}",
        highlight=False,
    )
    if failure is None:
        primary = body["decision"]["primary"]
        console.print(f"→ {primary['model']}", style="bold green", highlight=False)
        return
    err = Console(stderr=True, width=200)
    err.print(f"no eligible model: {failure}", style="bold red", highlight=False)
    for c in body.get("candidates", []):
        for reason in c["deny_reasons"]:
            err.print(f"  {c['model']}: {reason['code']}: {reason['detail']}", highlight=False)


def _window(w: dict[str, Any]) -> str:
    left = "?" if w.get("remaining") is None else f"{w['remaining']}"
    cap = "?" if w.get("cap") is None else f"{w['cap']}"
    text = f"{w.get('label') or w['kind']}: {left}/{cap} left"
    if not w["open"]:
        text += " (closed)"
    elif w.get("reserve_hold"):
        text += " (reserve)"
    if w.get("resets_at_local"):
        text += f", resets {w['resets_at_local'][:16].replace('T', ' ')}"
    return text


def render_table(body: dict[str, Any], task: str) -> Table:
    """The explanation as a table: candidate, score, denied/why, est cost, window."""
    decision = body["decision"]
    primary = (decision.get("primary") or {}).get("model")
    fallbacks = [c["model"] for c in decision.get("fallbacks", [])]
    table = Table(title=f"Plan for task '{task}'", show_lines=True)
    for column in ("candidate", "score", "denied / why", "est cost", "window"):
        table.add_column(column, overflow="fold")
    for c in body["candidates"]:
        if c["model"] == primary:
            name = Text(f"{c['model']}\n(primary)", style="bold green")
        elif c["model"] in fallbacks:
            name = Text(f"{c['model']}\n(fallback {fallbacks.index(c['model']) + 1})")
        else:
            name = Text(c["model"], style="dim" if c["denied"] else "")
        if c["denied"]:
            reasons = "\n".join(f"✗ {r['code']}: {r['detail']}" for r in c["deny_reasons"])
            why = Text(reasons, style="red")
        else:
            why = Text("\n".join(c["why"]))
        cost = "-" if c["est_cost_usd"] is None else f"${c['est_cost_usd']:.4f}"
        table.add_row(name, f"{c['score']:.3f}", why, cost, _window(c["window"]))
    return table
