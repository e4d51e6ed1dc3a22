"""`symphony keys …` and `symphony audit verify` against a real data directory."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from symphony.audit.log import AuditLog
from symphony.cli import main
from symphony.clock import SystemClock
from symphony.security.keys import KeyStore

SECRET = re.compile(r"^sk-sym-[A-Za-z0-9_-]{40}$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def records(data: Path, type_: str) -> list[dict[str, object]]:
    log = AuditLog.open(data, SystemClock())
    try:
        return [r.to_dict() for r in log.query_sync(type=type_)]
    finally:
        log.close()


def test_keys_create_prints_the_secret_alone_on_the_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["keys", "create", "--role", "client", "--name", "ci"]
    code, out, err = run(
        capsys, *argv, "--tenant", "acme", "--tenant", "beta", "--data-dir", str(tmp_path)
    )
    assert code == 0
    assert out.endswith("\n")
    secret = out.splitlines()[-1]
    assert SECRET.match(secret)
    assert "shown once" in err
    store = KeyStore.open(tmp_path, SystemClock())
    try:
        key = store.authenticate(secret)
    finally:
        store.close()
    assert key is not None
    assert (key.name, key.role, key.tenants) == ("ci", "client", ("acme", "beta"))
    (record,) = records(tmp_path, "key.create")
    assert record["payload"]["name"] == "ci"  # type: ignore[index]
    assert secret not in str(record)
    assert str(record["actor"]).startswith("cli")


def test_keys_create_refuses_duplicates_and_bad_roles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["keys", "create", "--role", "operator", "--name", "ops", "--data-dir", str(tmp_path)]
    assert run(capsys, *args)[0] == 0
    code, out, err = run(capsys, *args)
    assert code == 1
    assert out == ""
    assert "already exists" in err
    with pytest.raises(SystemExit):
        main(["keys", "create", "--role", "boss", "--name", "x", "--data-dir", str(tmp_path)])


def test_keys_list_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data-dir", str(tmp_path)]
    _, out, _ = run(capsys, "keys", "create", "--role", "admin", "--name", "root", *d)
    secret = out.strip()
    run(capsys, "keys", "create", "--role", "client", "--name", "bot", *d)
    code, out, _ = run(capsys, "keys", "list", *d)
    assert code == 0
    assert "root" in out
    assert "bot" in out
    assert "admin" in out
    assert secret not in out
    assert secret[:12] in out  # the prefix helps tell keys apart

    code, _, err = run(capsys, "keys", "revoke", "bot", *d)
    assert code == 0
    assert "revoked key 'bot'" in err
    code, out, _ = run(capsys, "keys", "list", "--json", "--active", *d)
    assert [line for line in out.splitlines() if '"bot"' in line] == []
    assert [r["payload"]["name"] for r in records(tmp_path, "key.revoke")] == ["bot"]  # type: ignore[index]
    code, _, err = run(capsys, "keys", "revoke", "nobody", *d)
    assert code == 1
    assert "nobody" in err


def test_audit_verify_names_the_first_tampered_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path)]
    for name in ("a", "b", "c", "d"):
        run(capsys, "keys", "create", "--role", "client", "--name", name, *d)
    code, out, _ = run(capsys, "audit", "verify", *d)
    assert code == 0
    assert "audit chain ok: 4 record(s)" in out

    db = tmp_path / "audit.db"
    with sqlite3.connect(db) as conn:
        rec_id = conn.execute("SELECT id FROM audit WHERE seq = 3").fetchone()[0]
        conn.execute("UPDATE audit SET payload = ? WHERE seq = 3", (b'{"name":"mallory"}',))
    code, _, err = run(capsys, "audit", "verify", *d)
    assert code == 1
    assert f"record 3 ({rec_id}) was modified" in err


def test_audit_verify_names_a_deleted_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path)]
    for name in ("a", "b", "c"):
        run(capsys, "keys", "create", "--role", "client", "--name", name, *d)
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    code, _, err = run(capsys, "audit", "verify", *d)
    assert code == 1
    assert "record 2 is missing (deleted)" in err


def test_audit_verify_without_a_log_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "audit", "verify", "--data-dir", str(tmp_path / "empty"))
    assert code == 1
    assert "does not exist" in err
