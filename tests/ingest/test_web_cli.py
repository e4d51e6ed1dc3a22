"""`symphony ingest`, `symphony rag …` and `symphony snapshot key` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_site import Site

from symphony.cli import main


@pytest.fixture
def env(site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    monkeypatch.setenv("SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS", f"127.0.0.1:{site.port}")
    monkeypatch.setenv("SYMPHONY_WEB_USER_AGENT", "SymphonyTest/1.0")
    gov = tmp_path / "web.yml"
    gov.write_text("web:\n  rps: 50\n  max_documents: 5\n", encoding="utf-8")
    return ["--data-dir", str(tmp_path / "data"), "--governance", str(gov)]


async def _run(args: list[str]) -> int:
    import asyncio

    # the CLI runs its own event loop; keep it off the test's loop (which serves the site)
    return await asyncio.to_thread(main, args)


async def test_ingest_then_query_status_and_reindex(
    site: Site, env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    urls = [site.url("/static/aurora"), site.url("/private/hidden")]
    code = await _run(["ingest", *urls, "--strategy", "scrape", "--json", *env])
    assert code == 1  # one URL was refused
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(d["outcome"], d["reason"]) for d in lines] == [
        ("ingested", None),
        ("refused", "robots_disallowed"),
    ]
    assert await _run(["rag", "query", "solar wind oxygen", "--json", *env]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passages"][0]["citation"]["url"] == site.url("/static/aurora")
    assert await _run(["rag", "status", "--json", *env]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["documents"], status["stale"]) == (1, False)
    assert await _run(["rag", "reindex", "--dry-run", "--json", *env]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 0  # nothing stale yet
    assert await _run(["snapshot", "key", *env[:2]]) == 0
    assert capsys.readouterr().out.startswith("ed25519:")


async def test_bad_governance_file_names_the_field(
    site: Site, env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("web:\n  max_depth: 7\n", encoding="utf-8")
    args = ["ingest", site.url("/static/aurora"), "--governance", str(bad), *env[:2]]
    assert await _run(args) == 2
    assert "web.max_depth: 7 is outside 0..5" in capsys.readouterr().err
