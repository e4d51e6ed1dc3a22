"""Operator commands: `symphony keys create|list|revoke` and `symphony audit verify`.

`keys create` prints the new secret ALONE on the last stdout line (everything else goes to
stderr), so `KEY=$(symphony keys create --role client --name ci | tail -n1)` works. Key
creation and revocation are audited (actor "cli:<user>") in the same data directory the
server uses; a running server picks the change up within a few seconds.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from symphony.audit.verify import VerifyResult
from symphony.cli.common import add_data_option, settings_from
from symphony.clock import SystemClock
from symphony.flows.keys import KeyAdmin
from symphony.security.keys import KeyStore, format_key_table
from symphony.security.roles import ROLES
from symphony.settings import Settings


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="API keys: create, list, revoke")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    create = keys_sub.add_parser("create", help="create a key; prints the secret once, last line")
    create.add_argument(
        "--role", required=True, choices=ROLES, help="client|operator|approver|admin"
    )
    create.add_argument(
        "--name", required=True, help="a unique name among active keys (e.g. ci-bot)"
    )
    create.add_argument(
        "--tenant", action="append", default=[], metavar="T",
        help="bind the key to tenant T (repeatable; a client key defaults to 'default')",
    )  # fmt: skip
    add_data_option(create)
    create.set_defaults(handler=run_create)

    listing = keys_sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    listing.add_argument("--active", action="store_true", help="hide revoked keys")
    add_data_option(listing)
    listing.set_defaults(handler=run_list)

    revoke = keys_sub.add_parser("revoke", help="revoke a key by id or by its active name")
    revoke.add_argument("key", metavar="ID|NAME")
    add_data_option(revoke)
    revoke.set_defaults(handler=run_revoke)

    audit = sub.add_parser("audit", help="the hash-chained audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify", help="walk the chain; exit 1 naming the first bad (modified/deleted) record"
    )
    add_data_option(verify)
    verify.set_defaults(handler=run_verify)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _admin(args: argparse.Namespace) -> tuple[KeyAdmin, Callable[[], None]]:
    """Keys with audit (payloads redacted like the server's), and how to close both."""
    from symphony.governance.privacy import Privacy
    from symphony.services import open_audit, open_keys
    from symphony.store.shared import SharedStores

    settings = settings_from(args)
    clock = SystemClock()
    stores = SharedStores.open(settings, clock)  # the server's stores (PostgreSQL when set)
    keys = open_keys(settings, clock, stores)
    audit = open_audit(settings, clock, Privacy(), stores)

    def close() -> None:
        keys.close()
        audit.close()
        stores.close()

    return KeyAdmin(keys, audit), close


def _store(args: argparse.Namespace) -> KeyStore:
    from symphony.services import open_keys
    from symphony.store.shared import SharedStores

    settings = settings_from(args)
    return open_keys(settings, SystemClock(), SharedStores.open(settings, SystemClock()))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def run_create(args: argparse.Namespace) -> int:
    from symphony.errors import SymphonyError

    admin, close = _admin(args)
    try:
        key, secret = admin.create(
            name=args.name, role=args.role, tenants=args.tenant, actor=_actor()
        )
    except SymphonyError as exc:
        return _fail(exc.message)
    finally:
        close()
    tenants = ",".join(key.tenants) or ("default" if key.role == "client" else "(all)")
    print(
        f"created {key.role} key '{key.name}' ({key.id}, tenants: {tenants}).\n"
        "The secret is shown once, on the next line of stdout; store it now.",
        file=sys.stderr,
    )
    print(secret, flush=True)
    return 0


def run_list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        keys = store.list(include_revoked=not args.active)
    finally:
        store.close()
    rows = format_key_table(keys)
    if args.json:
        for key in keys:
            print(orjson.dumps(key.to_dict()).decode())
        return 0
    if not rows:
        print("no API keys yet: symphony keys create --role client --name <name>", file=sys.stderr)
        return 0
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        print("  ".join(row[c].ljust(widths[c]) for c in columns).rstrip())
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from symphony.errors import SymphonyError

    admin, close = _admin(args)
    try:
        key, changed = admin.revoke(args.key, actor=_actor())
    except SymphonyError as exc:
        return _fail(exc.message)
    finally:
        close()
    if not changed:
        print(f"key '{key.name}' ({key.id}) was already revoked", file=sys.stderr)
        return 0
    print(f"revoked key '{key.name}' ({key.id})", file=sys.stderr)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from symphony.audit.log import AUDIT_DB_NAME
    from symphony.audit.verify import verify_chain
    from symphony.errors import SymphonyError

    settings = settings_from(args)
    db: Path | str = Path(settings.data_dir) / AUDIT_DB_NAME
    try:
        if settings.database_url:  # the one chain every replica appends to
            result, db = _verify_pg(settings)
        else:
            result = verify_chain(Path(db), hmac_secret=settings.audit_hmac_secret)
    except SymphonyError as exc:
        return _fail(exc.message)
    if not result.ok:
        print(f"audit chain BROKEN in {db}: {result.problem}", file=sys.stderr)
        print(
            f"{result.checked} record(s) verified before record {result.first_bad_seq}",
            file=sys.stderr,
        )
        return 1
    print(f"audit chain ok: {result.checked} record(s) in {db}")
    print(f"head: seq {result.head_seq} hash {result.head_hash}")
    return 0


def _verify_pg(settings: Settings) -> tuple[VerifyResult, str]:
    from symphony.audit.queries import AUDIT_LAYOUT, AUDIT_PG_SCHEMA
    from symphony.audit.verify import verify_log
    from symphony.store.pg_conn import PgConn
    from symphony.store.pg_log import PgLog

    log = PgLog.open(
        PgConn(settings.database_url, settings.store_namespace), AUDIT_LAYOUT, AUDIT_PG_SCHEMA
    )
    try:
        return verify_log(log, hmac_secret=settings.audit_hmac_secret), log.where
    finally:
        log.close()
