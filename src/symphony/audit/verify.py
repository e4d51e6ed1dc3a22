"""Verify an audit database: recompute every hash and every link, then check the head mark.

What each check catches:
- a gap in `seq`: a deleted record ("record 18 is missing (deleted): chain jumps from 17 to 19");
- `prev_hash` != the previous row's hash: rows reordered, or a record replaced wholesale;
- a recomputed hash != the stored hash: a field or the payload was modified;
- the last row behind `audit_head`: the tail was deleted (the chain alone cannot see that).
The head mark is evidence, not proof: someone who can rewrite the file can rewrite the mark
too. Anchor `head` (printed by verify) somewhere else when that matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from symphony.audit.queries import AUDIT_LAYOUT
from symphony.audit.records import GENESIS_HASH, StoredRow, row_hash
from symphony.errors import NotFoundError
from symphony.store.log import MAX_LIMIT, AppendLog, LogHead, LogQuery
from symphony.store.sqlite_log import SqliteLog


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a verification; `problem` says what happened and where."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    first_bad_id: str | None
    problem: str | None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_id": self.first_bad_id,
            "problem": self.problem,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
        }


def verify_chain(db_path: Path, *, hmac_secret: str | None = None) -> VerifyResult:
    """Check every record of the audit database at db_path (read-only; blocking)."""
    if not db_path.is_file():
        raise NotFoundError(f"audit database {db_path} does not exist")
    log = SqliteLog.open_readonly(db_path, AUDIT_LAYOUT)
    try:
        return verify_log(log, hmac_secret=hmac_secret)
    finally:
        log.close()


def verify_log(log: AppendLog, *, hmac_secret: str | None = None) -> VerifyResult:
    """Check every record of an audit log on any backend (blocking)."""
    secret = hmac_secret or None
    prev_seq, prev_hash, prev_id = 0, GENESIS_HASH, ""
    checked = 0
    while True:
        page = log.query_sync(LogQuery(after_seq=prev_seq, newest_first=False, limit=MAX_LIMIT))
        for row in page:
            stored: StoredRow = row
            seq, id_, stored_prev, stored_hash = stored[0], stored[1], stored[7], stored[8]
            if seq != prev_seq + 1:
                missing = prev_seq + 1
                return _bad(
                    checked,
                    missing,
                    None,
                    f"record {missing} is missing (deleted): chain jumps from {prev_seq} to {seq}",
                )
            if stored_prev != prev_hash:
                anchor = "the genesis hash" if prev_seq == 0 else f"record {prev_seq} ({prev_id})"
                return _bad(
                    checked,
                    seq,
                    id_,
                    f"record {seq} ({id_}) prev_hash does not match {anchor} "
                    "(reordered or replaced)",
                )
            if row_hash(stored, secret) != stored_hash:
                hint = ""
                if checked == 0:
                    hint = "; if every record fails, the HMAC secret differs from the writer's"
                return _bad(
                    checked, seq, id_, f"record {seq} ({id_}) was modified: hash mismatch{hint}"
                )
            prev_seq, prev_hash, prev_id = seq, stored_hash, id_
            checked += 1
        if len(page) < MAX_LIMIT:
            return _check_head(log.mark(), checked, prev_seq, prev_hash)


def _check_head(mark: LogHead | None, checked: int, last_seq: int, last_hash: str) -> VerifyResult:
    if mark is not None:  # None: a database from before the head mark existed
        head_seq, head_hash = mark.seq, mark.link
        if head_seq > last_seq:
            return _bad(
                checked,
                last_seq + 1,
                None,
                f"record {last_seq + 1} is missing (deleted from the end): the head mark says "
                f"the chain reaches {head_seq} but the log ends at {last_seq}",
            )
        if head_seq < last_seq:
            return _bad(
                checked,
                head_seq + 1,
                None,
                f"the head mark says the chain ends at {head_seq} but the log reaches "
                f"{last_seq} (head mark rolled back or records appended outside Symphony)",
            )
        if head_hash != last_hash:
            return _bad(
                checked,
                last_seq,
                None,
                f"record {last_seq} does not match the head mark's hash (last record replaced)",
            )
    return VerifyResult(
        ok=True,
        checked=checked,
        first_bad_seq=None,
        first_bad_id=None,
        problem=None,
        head_seq=last_seq,
        head_hash=last_hash,
    )


def _bad(checked: int, seq: int, id_: str | None, problem: str) -> VerifyResult:
    return VerifyResult(
        ok=False, checked=checked, first_bad_seq=seq, first_bad_id=id_, problem=problem
    )
