"""`symphony snapshot verify FILE | export URL|ID | key`: signed HTML snapshots."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from symphony.cli.common import add_data_option, settings_from
from symphony.errors import SymphonyError
from symphony.ingest.config import load_settings
from symphony.ingest.keys import key_id, load_public_key, public_pem
from symphony.ingest.snapshot import verify_snapshot
from symphony.ingest.stack import key_path
from symphony.ingest.store import SnapshotStore, write_snapshot_file


def register(sub: Any) -> None:
    """Add `symphony snapshot` to the `symphony` parser."""
    snap = sub.add_parser("snapshot", help="signed HTML snapshots: verify, export, key")
    snap_sub = snap.add_subparsers(dest="snapshot_command", metavar="ACTION", required=True)
    verify = snap_sub.add_parser(
        "verify", help="check a snapshot file; exit 1 naming what was altered"
    )
    verify.add_argument("file", metavar="FILE")
    verify.add_argument(
        "--public-key",
        metavar="PEM",
        default=None,
        help="trusted public (or private) key; default: this data directory's signing key",
    )
    add_data_option(verify)
    verify.set_defaults(handler=cmd_verify)
    export = snap_sub.add_parser("export", help="write the latest snapshot of a URL (or an id)")
    export.add_argument("key", metavar="URL|ID")
    export.add_argument("-o", "--output", metavar="FILE", required=True)
    add_data_option(export)
    export.set_defaults(handler=cmd_export)
    key = snap_sub.add_parser("key", help="print the signing key's id and public PEM")
    add_data_option(key)
    key.set_defaults(handler=cmd_key)


def _key_file(args: argparse.Namespace) -> Path:
    web, _rag = load_settings(os.environ)
    return key_path(Path(settings_from(args).data_dir), web)


def _trusted(args: argparse.Namespace) -> tuple[Ed25519PublicKey | None, str]:
    if args.public_key:
        return load_public_key(Path(args.public_key)), args.public_key
    path = _key_file(args)
    if path.exists():
        return load_public_key(path), str(path)
    return None, ""


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        record = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        trusted, source = _trusted(args)
    except (SymphonyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verdict = verify_snapshot(record, trusted)
    if not verdict.ok:
        print(f"snapshot ALTERED: {args.file}", file=sys.stderr)
        for name, problem in zip(verdict.altered, verdict.problems, strict=False):
            print(f"  altered: {name}: {problem}", file=sys.stderr)
        for problem in verdict.problems[len(verdict.altered) :]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"snapshot ok: {record['url']} fetched {record['fetched_at']}")
    print(f"signed by {verdict.key_id}" + (f" (trusted key {source})" if source else ""))
    if trusted is None:
        print(
            "warning: no trusted key given or found; only self-consistency was checked "
            "(pass --public-key)",
            file=sys.stderr,
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = SnapshotStore.open(Path(settings_from(args).data_dir))
    try:
        found = store.get(args.key)
    finally:
        store.close()
    if found is None:
        print(f"error: no snapshot for {args.key!r}", file=sys.stderr)
        return 1
    write_snapshot_file(Path(args.output), found.record)
    print(f"wrote {args.output} ({found.id}, {found.url}, fetched {found.fetched_at})")
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    path = _key_file(args)
    if not path.exists():
        print(f"no signing key yet at {path} (created by the first signed snapshot)")
        return 1
    public = load_public_key(path)
    print(key_id(public))
    sys.stdout.write(public_pem(public).decode())
    return 0
