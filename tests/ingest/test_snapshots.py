"""Signed snapshots: a verified record, and each kind of tampering named by the verifier."""

from __future__ import annotations

import copy
import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ingest_site import Harness, Site

from symphony.cli import main
from symphony.ingest.keys import key_id, load_or_create_key
from symphony.ingest.snapshot import build_snapshot, canonical, verify_snapshot

HTML = "<html><head><title>Rates</title></head><body><p>Gemini resets at midnight Pacific.</p>"


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return load_or_create_key(tmp_path / "keys" / "snapshot_ed25519.pem")


def record(key: Ed25519PrivateKey | None) -> dict[str, Any]:
    return build_snapshot(
        url="https://ai.google.dev/rates",
        final_url="https://ai.google.dev/gemini-api/docs/rate-limits",
        fetched_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        status=200,
        html=HTML,
        extractor_version="trafilatura 2.3.1",
        key=key,
    )


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "ingest" / "snapshot_ed25519.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_id(load_or_create_key(path).public_key()) == key_id(first.public_key())


def test_intact_snapshot_verifies_against_the_trusted_key(key: Ed25519PrivateKey) -> None:
    snap = record(key)
    verdict = verify_snapshot(json.loads(json.dumps(snap)), key.public_key())
    assert verdict.ok
    assert verdict.pinned
    assert verdict.key_id == key_id(key.public_key())
    assert snap["fetched_at"] == "2026-12-01T12:00:00Z"
    signed = {k: snap[k] for k in ("url", "final_url", "fetched_at", "status")}
    assert canonical(signed) == canonical(dict(reversed(list(signed.items()))))


def _tamper(snap: dict[str, Any], change: str) -> None:
    if change == "html":
        snap["html"] = snap["html"].replace("midnight", "noon")
    elif change == "html+hash":
        from symphony.ingest.extract import sha256_hex

        snap["html"] = snap["html"].replace("midnight", "noon")
        snap["html_sha256"] = sha256_hex(snap["html"])
    elif change == "url":
        snap["url"] = "https://evil.example/rates"
    elif change == "fetched_at":
        snap["fetched_at"] = "2027-01-01T00:00:00Z"
    elif change == "status":
        snap["status"] = 404
    elif change == "signature":
        value = snap["signature"]["value"]
        snap["signature"]["value"] = ("A" if value[0] != "A" else "B") + value[1:]
    elif change == "url+fetched_at":
        snap["url"] = "https://evil.example/rates"
        snap["fetched_at"] = "2027-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("change", "altered"),
    [
        ("html", ("html",)),
        ("html+hash", ("html",)),
        ("url", ("url",)),
        ("fetched_at", ("fetched_at",)),
        ("status", ("status",)),
        ("signature", ("signature",)),
        ("url+fetched_at", ("url", "fetched_at")),
    ],
)
def test_tampering_is_named(key: Ed25519PrivateKey, change: str, altered: tuple[str, ...]) -> None:
    snap = copy.deepcopy(record(key))
    _tamper(snap, change)
    verdict = verify_snapshot(snap, key.public_key())
    assert not verdict.ok
    assert verdict.altered == altered


def test_snapshot_signed_by_another_key_is_wrong_key(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    verdict = verify_snapshot(record(other), key.public_key())
    assert verdict.altered == ("key",)
    assert "wrong key" in verdict.problems[0]


def test_swapped_embedded_public_key_is_caught(key: Ed25519PrivateKey) -> None:
    snap = record(key)
    forged = record(Ed25519PrivateKey.generate())
    snap["signature"]["public_key"] = forged["signature"]["public_key"]
    assert verify_snapshot(snap, None).altered == ("public_key",)


def test_unsigned_and_malformed_snapshots_fail() -> None:
    unsigned = verify_snapshot(record(None), None)
    assert not unsigned.ok
    assert unsigned.problems == ("snapshot is not signed",)
    assert verify_snapshot({"format": "x"}, None).altered == ("format",)
    assert verify_snapshot([1, 2], None).altered == ("format",)


def _write(path: Path, snap: dict[str, Any]) -> Path:
    path.write_text(json.dumps(snap), encoding="utf-8")
    return path


def test_cli_verify_names_the_altered_field(
    tmp_path: Path, key: Ed25519PrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = tmp_path / "keys" / "snapshot_ed25519.pem"
    good = _write(tmp_path / "good.json", record(key))
    assert main(["snapshot", "verify", str(good), "--public-key", str(pem)]) == 0
    assert "snapshot ok" in capsys.readouterr().out
    bad = record(key)
    _tamper(bad, "fetched_at")
    path = _write(tmp_path / "bad.json", bad)
    assert main(["snapshot", "verify", str(path), "--public-key", str(pem)]) == 1
    err = capsys.readouterr().err
    assert "snapshot ALTERED" in err
    assert "altered: fetched_at" in err
    assert main(["snapshot", "verify", str(tmp_path / "missing.json")]) == 2


async def test_ingested_page_snapshot_exports_and_verifies_with_the_data_dir_key(
    make: Callable[..., Harness],
    site: Site,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = make()
    [outcome] = await h.stack.ingest.ingest([site.url("/static/aurora")], "scrape")
    key_file = h.data_dir / "ingest" / "snapshot_ed25519.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = h.stack.snapshots.get(outcome.snapshot_id or "")
    assert stored is not None
    assert stored.record["final_url"] == site.url("/static/aurora")
    await h.stack.aclose()  # the CLI opens the same files
    monkeypatch.delenv("SYMPHONY_WEB_SNAPSHOT_KEY_FILE", raising=False)
    out = h.data_dir.parent / "aurora.json"
    data = ["--data-dir", str(h.data_dir)]
    assert main(["snapshot", "export", site.url("/static/aurora"), "-o", str(out), *data]) == 0
    assert main(["snapshot", "verify", str(out), *data]) == 0
    assert "trusted key" in capsys.readouterr().out
    snap = json.loads(out.read_text())
    snap["html"] = snap["html"].replace("Auroras appear", "Auroras vanish")
    out.write_text(json.dumps(snap))
    assert main(["snapshot", "verify", str(out), *data]) == 1
    assert "altered: html" in capsys.readouterr().err
