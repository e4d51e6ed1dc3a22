"""verify_chain against a real SQLite file that the test tampers with directly."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from symphony.audit import AuditLog, verify_chain
from symphony.audit.records import canonical_message, compute_hash
from symphony.clock import FixedClock
from symphony.errors import NotFoundError

CLOCK = FixedClock(datetime(2025, 3, 1, tzinfo=UTC))
CONTENT = "id, type, at, actor, tenant, payload, prev_hash, hash"


def build(tmp_path: Path, count: int = 20, secret: str | None = None) -> tuple[Path, list[str]]:
    log = AuditLog.open(tmp_path, CLOCK, hmac_secret=secret)
    ids = [log.append_sync("route.execute", {"n": n}, actor="k").id for n in range(1, count + 1)]
    log.close()
    return tmp_path / "audit.db", ids


def tamper(db: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, params)


def test_untouched_log_verifies(tmp_path: Path) -> None:
    db, _ = build(tmp_path)
    result = verify_chain(db)
    assert (result.ok, result.checked, result.problem, result.head_seq) == (True, 20, None, 20)


def test_empty_log_verifies(tmp_path: Path) -> None:
    AuditLog.open(tmp_path, CLOCK).close()
    result = verify_chain(tmp_path / "audit.db")
    assert (result.ok, result.checked) == (True, 0)


def test_missing_database_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        verify_chain(tmp_path / "nope.db")


def test_modified_payload_is_named(tmp_path: Path) -> None:
    db, ids = build(tmp_path)
    tamper(db, "UPDATE audit SET payload = ? WHERE seq = 17", (b'{"n":1700}',))
    result = verify_chain(db)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 17, ids[16])
    assert result.problem == f"record 17 ({ids[16]}) was modified: hash mismatch"
    assert result.checked == 16


@pytest.mark.parametrize(("column", "value"), [("actor", "someone-else"), ("type", "route.plan")])
def test_modified_field_is_named(tmp_path: Path, column: str, value: str) -> None:
    db, ids = build(tmp_path)
    tamper(db, f"UPDATE audit SET {column} = ? WHERE seq = 4", (value,))
    result = verify_chain(db)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 4, ids[3])
    assert result.problem is not None
    assert "was modified" in result.problem


def test_deleted_middle_record_names_the_gap(tmp_path: Path) -> None:
    db, _ = build(tmp_path)
    tamper(db, "DELETE FROM audit WHERE seq = 18")
    result = verify_chain(db)
    assert (result.ok, result.first_bad_seq) == (False, 18)
    assert result.problem == "record 18 is missing (deleted): chain jumps from 17 to 19"


def test_deleted_first_record_is_a_gap_from_zero(tmp_path: Path) -> None:
    db, _ = build(tmp_path)
    tamper(db, "DELETE FROM audit WHERE seq = 1")
    result = verify_chain(db)
    assert result.problem == "record 1 is missing (deleted): chain jumps from 0 to 2"


def test_swapped_records_are_detected_as_reordered(tmp_path: Path) -> None:
    db, ids = build(tmp_path)
    with sqlite3.connect(db) as conn:
        five = conn.execute(f"SELECT {CONTENT} FROM audit WHERE seq = 5").fetchone()
        six = conn.execute(f"SELECT {CONTENT} FROM audit WHERE seq = 6").fetchone()
        conn.execute("UPDATE audit SET id = 'tmp' WHERE seq = 5")  # keep id UNIQUE happy
        sets = ", ".join(f"{c} = ?" for c in CONTENT.split(", "))
        conn.execute(f"UPDATE audit SET {sets} WHERE seq = 6", five)
        conn.execute(f"UPDATE audit SET {sets} WHERE seq = 5", six)
    result = verify_chain(db)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 5, ids[5])
    assert result.problem is not None
    assert "record 5" in result.problem
    assert "prev_hash does not match record 4" in result.problem
    assert "reordered or replaced" in result.problem


def test_replaced_record_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    db, ids = build(tmp_path)
    with sqlite3.connect(db) as conn:
        seq, id_, type_, at, actor, tenant, _, prev = conn.execute(
            "SELECT seq, id, type, at, actor, tenant, payload, prev_hash FROM audit WHERE seq = 10"
        ).fetchone()
        forged = orjson.dumps({"n": 999})
        message = canonical_message(
            seq=seq,
            id=id_,
            type=type_,
            at=at,
            actor=actor,
            tenant=tenant,
            payload=forged,
            prev_hash=prev,
        )
        conn.execute(
            "UPDATE audit SET payload = ?, hash = ? WHERE seq = 10",
            (forged, compute_hash(message, None)),
        )
    result = verify_chain(db)
    assert (result.first_bad_seq, result.first_bad_id) == (11, ids[10])
    assert result.problem is not None
    assert "prev_hash does not match record 10" in result.problem


def test_forgery_without_the_hmac_secret_is_caught_at_the_record(tmp_path: Path) -> None:
    db, ids = build(tmp_path, secret="k3y")
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT seq, id, type, at, actor, tenant, prev_hash FROM audit WHERE seq = 10"
        ).fetchone()
        forged = orjson.dumps({"n": 999})
        message = canonical_message(
            seq=row[0],
            id=row[1],
            type=row[2],
            at=row[3],
            actor=row[4],
            tenant=row[5],
            payload=forged,
            prev_hash=row[6],
        )
        conn.execute(
            "UPDATE audit SET payload = ?, hash = ? WHERE seq = 10",
            (forged, compute_hash(message, None)),  # attacker lacks the secret
        )
    result = verify_chain(db, hmac_secret="k3y")
    assert (result.first_bad_seq, result.first_bad_id) == (10, ids[9])
    assert result.problem is not None
    assert "was modified" in result.problem


def test_deleted_last_record_is_caught_by_the_head_mark(tmp_path: Path) -> None:
    db, _ = build(tmp_path)
    tamper(db, "DELETE FROM audit WHERE seq = 20")
    result = verify_chain(db)
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 20, 19)
    assert result.problem is not None
    assert "record 20 is missing (deleted from the end)" in result.problem


def test_truncation_stays_visible_after_more_appends(tmp_path: Path) -> None:
    db, _ = build(tmp_path)
    tamper(db, "DELETE FROM audit WHERE seq >= 19")
    log = AuditLog.open(tmp_path, CLOCK)
    rec = log.append_sync("route.execute", {"after": "truncation"})
    log.close()
    assert rec.seq == 21  # continues from the head mark, not from the surviving tail
    result = verify_chain(db)
    assert result.problem == "record 19 is missing (deleted): chain jumps from 18 to 21"


def test_rolled_back_head_mark_is_reported(tmp_path: Path) -> None:
    db, _ = build(tmp_path)
    tamper(db, "UPDATE audit_head SET seq = 15")
    result = verify_chain(db)
    assert (result.ok, result.first_bad_seq) == (False, 16)
