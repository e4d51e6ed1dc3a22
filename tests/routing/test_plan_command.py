"""`symphony plan`: the explanation as a table (or JSON), from the policy and the ledger."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from symphony.cli import plan_cmd
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.usage import UsageEvent

CONFIG = Path(__file__).resolve().parents[2] / "config"
KEY_VARS = (
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "XAI_API_KEY",
    "PERPLEXITY_API_KEY",
    "DEEPSEEK_API_KEY",
    "VENICE_API_KEY",
    "LITELLM_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*KEY_VARS, "SYMPHONY_POLICY_FILE", "SYMPHONY_WINDOWS_FILE", "SYMPHONY_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def run(tmp_path: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="symphony")
    plan_cmd.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "plan",
            "--policy",
            str(CONFIG / "router.policy.yml"),
            "--windows",
            str(CONFIG / "model.windows.yml"),
            "--data-dir",
            str(tmp_path / "data"),
            *argv,
        ]
    )
    code: int = args.handler(args)
    return code


def test_table_shows_every_candidate_and_the_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--task", "qa", "--loa", "1") == 0
    out = capsys.readouterr().out
    for header in ("candidate", "score", "denied / why", "est cost", "window"):
        assert header in out
    assert "(primary)" in out
    assert "→ local/ollama" in out
    assert "no_credentials: env var ANTHROPIC_API_KEY is not set" in out
    assert "$0.061" in out  # Claude's worst case: its policy max_tokens (4096) of output
    assert "5h session: 45/45 left" in out
    assert "rule: qa-hosted-first" in out
    # A read-only command creates no ledger.
    assert not (tmp_path / "data").exists()


def test_no_eligible_model_exits_3_listing_every_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--task", "qa", "--loa", "9") == 3
    err = capsys.readouterr().err
    assert "no eligible model" in err
    assert "perplexity/api: loa_exceeds: LOA 9 exceeds the model maximum 0" in err
    assert "local/ollama: loa_exceeds: LOA 9 exceeds the model maximum 2" in err
    assert "openai/chatgpt-plus: no_endpoint:" in err
    assert err.count("loa_exceeds") == 10  # every model, one line each


def test_json_output_is_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--task", "qa", "--input", "hello there", "--json") == 0
    body = orjson.loads(capsys.readouterr().out)
    assert body["decision"]["primary"]["model"] == "local/ollama"
    assert body["controls"]["rule"] == "qa-hosted-first"
    assert len(body["candidates"]) == 10


def test_json_on_409_carries_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--task", "qa", "--loa", "9", "--json") == 3
    body = orjson.loads(capsys.readouterr().out)
    assert body["error"]["code"] == "no_eligible_model"
    assert all(c["denied"] for c in body["candidates"])


def test_ledger_usage_and_credentials_shape_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    store = SqliteUsageStore.open(tmp_path / "data")
    at = datetime.now(UTC) - timedelta(minutes=10)
    store.record_sync([UsageEvent(at, "anthropic/claude-pro", requests=37)])
    store.close()
    assert run(tmp_path, "--task", "qa") == 0
    out = capsys.readouterr().out
    assert "reserve_hold: 18% left is inside the 20% reserve" in out
    assert "5h session: 8/45 left (reserve)" in out


def test_unknown_tenant_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--task", "qa", "--tenant", "globex") == 1
    assert "unknown tenant 'globex'" in capsys.readouterr().err


def test_invalid_policy_exits_1_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("policy:\n  version: 2\n  models:\n    - {name: x/y, class: orbital}\n")
    assert run(tmp_path, "--task", "qa", "--policy", str(bad)) == 1
    assert f"{bad}:4:" in capsys.readouterr().err


def test_loa_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        run(tmp_path, "--task", "qa", "--loa", "11")
    assert info.value.code == 2
