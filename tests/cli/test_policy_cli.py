"""`symphony policy check`, `symphony windows` and `symphony usage record`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from symphony.cli import main
from symphony.policy.loader import load_policy_files
from symphony.windows.ledger import SqliteUsageStore

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "config" / "router.policy.yml"
WINDOWS = ROOT / "config" / "model.windows.yml"
SEEDS = ROOT / "tests" / "fixtures" / "policies"
VERSION = load_policy_files(POLICY, WINDOWS).version


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POLICY_FILE", "WINDOWS_FILE", "DATA_DIR"):
        monkeypatch.delenv(f"SYMPHONY_{name}", raising=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def opts(data: Path) -> list[str]:
    return ["--policy", str(POLICY), "--windows", str(WINDOWS), "--data-dir", str(data)]


# --- policy check -------------------------------------------------------------------------
def test_policy_check_the_shipped_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert run(capsys, "policy", "check") == (
        0,
        f"ok: config/router.policy.yml + config/model.windows.yml — version {VERSION},"
        " 10 models, 1 rules, 1 tenants, 7 schedules\n",
        "",
    )
    assert run(capsys, "policy", "check", "config/router.policy.yml")[0] == 0


def test_policy_check_several_files_reports_every_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "policy:\n  defaults: { timezone: Mars/Base }\n  models:\n"
        "    - { name: a/b, quota: { type: rolling, window: 3x } }\n"
    )
    code, out, err = run(
        capsys,
        "policy",
        "check",
        str(SEEDS / "seed_control_tower.yml"),
        str(bad),
        "--windows",
        str(SEEDS / "seed_windows.yml"),
    )
    assert code == 1
    assert out.startswith(f"ok: {SEEDS / 'seed_control_tower.yml'} + {SEEDS / 'seed_windows.yml'}")
    assert out.endswith(", 7 models, 1 rules, 1 tenants, 7 schedules\n")
    lines = err.splitlines()
    assert lines[:2] == [
        f"{bad}:2: policy.defaults.timezone: unknown time zone 'Mars/Base'"
        " (use an IANA name like America/Denver)",
        f"{bad}:4: policy.models[0].quota.window: invalid duration '3x'"
        " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)",
    ]
    # The seed windows name models this file lacks: each one is reported too.
    assert len(lines) == 2 + 7
    assert all(line.startswith(str(SEEDS / "seed_windows.yml")) for line in lines[2:])


def test_policy_check_windows_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope.yml"
    code, out, err = run(capsys, "policy", "check", str(POLICY), "--windows", str(missing))
    assert (code, out) == (1, "")
    assert err == f"{missing}: cannot read windows file: No such file or directory\n"
    monkeypatch.setenv("SYMPHONY_WINDOWS_FILE", str(missing))
    assert run(capsys, "policy", "check", str(POLICY))[0] == 1
    monkeypatch.delenv("SYMPHONY_WINDOWS_FILE")
    # The default windows file is optional: without it the policy alone is checked.
    (tmp_path / "config").mkdir()
    shutil.copy(SEEDS / "seed_operator_kit.yml", tmp_path / "config" / "router.policy.yml")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "policy", "check")
    assert code == 0
    assert out.startswith("ok: config/router.policy.yml — version ")
    assert out.endswith(", 3 models, 0 rules, 1 tenants, 0 schedules\n")


def test_policy_check_reads_the_policy_file_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SYMPHONY_POLICY_FILE", str(SEEDS / "seed_control_tower.yml"))
    monkeypatch.chdir(tmp_path)  # no default windows file here
    code, out, _ = run(capsys, "policy", "check")
    assert code == 0
    assert out.startswith(f"ok: {SEEDS / 'seed_control_tower.yml'} — version ")
    code, out, _ = run(capsys, "policy", "check", "--policy", str(POLICY))
    # the windows file beside it schedules only its models: checked together
    assert out.startswith(f"ok: {POLICY} + {WINDOWS} — version ")


def test_policy_and_usage_without_a_subcommand_print_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "policy")
    assert code == 2
    assert "check" in out
    code, out, _ = run(capsys, "usage")
    assert code == 2
    assert "record" in out


def test_policy_check_as_a_real_command() -> None:
    binary = Path(sys.executable).parent / "symphony"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMPHONY_")}
    done = subprocess.run(
        [str(binary), "policy", "check", "config/router.policy.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: config/router.policy.yml + config/model.windows.yml")


# --- windows ------------------------------------------------------------------------------
def states_at(
    capsys: pytest.CaptureFixture[str], data: Path, at: str, *extra: str
) -> dict[str, dict[str, object]]:
    code, out, err = run(capsys, "windows", "--at", at, "--json", *opts(data), *extra)
    assert code == 0, err
    listing = json.loads(out)
    return {item["model"]: item for item in listing}


def test_windows_json_lists_every_model_state(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    states = states_at(capsys, data, "2026-03-08T20:00:00Z")
    assert list(states) == [m.name for m in load_policy_files(POLICY, WINDOWS).models]
    gemini = states["google/gemini-pro"]
    assert set(gemini) >= {
        "model",
        "kind",
        "open",
        "used",
        "cap",
        "remaining",
        "remaining_fraction",
        "resets_at",
        "resets_at_local",
        "eta_seconds",
        "source",
        "reserve_hold",
        "burn_rate_per_hour",
        "projected_depletion_at",
        "power_window_open",
        "next_power_window",
        "cooldown_until",
    }
    assert gemini["resets_at"] == "2026-03-09T07:00:00Z"
    assert gemini["resets_at_local"] == "2026-03-09T01:00:00-06:00"
    assert (gemini["used"], gemini["cap"], gemini["remaining_fraction"]) == (0, 1000, 1.0)
    claude = states["anthropic/claude-pro"]
    assert (claude["kind"], claude["resets_at"], claude["remaining"]) == ("session_5h", None, 45)
    assert not data.exists()  # a read-only command creates no ledger


def test_ledger_usage_before_at_counts(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    for at in ("2026-05-04T16:10:00Z", "2026-05-04T16:40:00Z", "2026-05-04T18:00:00Z"):
        code, _, err = run(
            capsys, "usage", "record", "--model", "anthropic/claude-pro", "--at", at, *opts(data)
        )
        assert code == 0, err
    states = states_at(capsys, data, "2026-05-04T17:00:00Z")
    claude = states["anthropic/claude-pro"]
    assert (claude["used"], claude["remaining"]) == (2, 43)  # the 18:00 use is not yet
    assert claude["resets_at"] == "2026-05-04T21:00:00Z"
    assert claude["resets_at_local"] == "2026-05-04T15:00:00-06:00"
    assert states["openai/chatgpt-plus"]["used"] == 0
    later = states_at(capsys, data, "2026-05-04T18:30:00Z")["anthropic/claude-pro"]
    assert later["used"] == 3


def test_windows_table(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    for at in ("2026-05-04T16:59:30Z", "2026-05-04T17:00:10Z"):  # one per 60 s bucket
        run(capsys, "usage", "record", "--model", "perplexity/api", "--at", at, *opts(data))
    code, out, _ = run(capsys, "windows", "--at", "2026-05-04T17:00:30Z", *opts(data))
    assert code == 0
    assert "Windows at 2026-05-04T11:00:30-06:00 (America/Denver)" in out
    for model in ("local/ollama", "anthropic/claude-pro", "google/gemini-pro", "venice/api"):
        assert model in out
    assert "1/50 requests" in out
    assert "2026-05-05 01:00" in out  # Gemini's reset in Denver time
    assert "configured" in out
    assert "heuristic" in out


def test_windows_options_are_checked(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, _, err = run(capsys, "windows", "--at", "2026-05-04T17:00:00", *opts(data))
    assert code == 1
    assert err.startswith("--at: instant '2026-05-04T17:00:00' has no UTC offset")
    code, _, err = run(capsys, "windows", "--at", "yesterday", *opts(data))
    assert code == 1
    code, _, err = run(capsys, "windows", "--tenant", "ghost", *opts(data))
    assert (code, err) == (1, "unknown tenant 'ghost' (policy tenants: default)\n")
    code, _, err = run(capsys, "windows", "--policy", str(data / "none.yml"))
    assert (code, err) == (
        1,
        f"{data / 'none.yml'}: cannot read policy file: No such file or directory\n",
    )


def test_windows_defaults_to_now(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, _ = run(capsys, "windows", "--json", *opts(data))
    assert code == 0
    assert len(json.loads(out)) == 10


# --- usage record -------------------------------------------------------------------------
def test_usage_record_prices_tokens_from_the_policy(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    code, out, err = run(
        capsys,
        "usage",
        "record",
        "--model",
        "anthropic/claude-pro",
        "--prompt-tokens",
        "1000",
        "--completion-tokens",
        "200",
        "--at",
        "2026-05-04T16:10:00Z",
        "--tenant",
        "default",
        *opts(data),
    )
    assert (code, err) == (0, "")
    assert out == (
        "recorded: 1 request to anthropic/claude-pro for tenant default at 2026-05-04T16:10:00Z:"
        f" 1000 prompt + 200 completion tokens, $0.006000 (ledger {data / 'ledger.db'})\n"
    )
    code, out, _ = run(
        capsys,
        "usage",
        "record",
        "--model",
        "google/gemini-pro",
        "--tokens",
        "2000",
        "--cost",
        "0.5",
        "--at",
        "2026-05-04T16:11:00Z",
        *opts(data),
    )
    assert code == 0
    assert ": 2000 prompt + 0 completion tokens, $0.500000" in out
    code, out, _ = run(
        capsys, "usage", "record", "--model", "openai/chatgpt-plus", "--tokens", "10", *opts(data)
    )
    assert code == 0
    assert "$0.000000" in out  # a subscription has no per-token price
    store = SqliteUsageStore.open(data)
    try:
        events = store.load_events(datetime(2026, 1, 1, tzinfo=UTC))
    finally:
        store.close()
    assert [(e.model, e.prompt_tokens, e.completion_tokens, e.cost_usd) for e in events][:2] == [
        ("anthropic/claude-pro", 1000, 200, pytest.approx(0.006)),
        ("google/gemini-pro", 2000, 0, 0.5),
    ]


def test_usage_record_rejects_bad_input(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, _, err = run(capsys, "usage", "record", "--model", "openai/gpt-9", *opts(data))
    assert code == 1
    assert err.startswith("unknown model 'openai/gpt-9' (policy models: local/ollama, ")
    code, _, err = run(
        capsys, "usage", "record", "--model", "xai/grok", "--tenant", "ghost", *opts(data)
    )
    assert (code, err) == (1, "unknown tenant 'ghost' (policy tenants: default)\n")
    code, _, err = run(
        capsys,
        "usage",
        "record",
        "--model",
        "xai/grok",
        "--tokens",
        "5",
        "--prompt-tokens",
        "3",
        *opts(data),
    )
    assert (code, err) == (
        1,
        "use either --tokens or --prompt-tokens/--completion-tokens, not both\n",
    )
    code, _, err = run(
        capsys, "usage", "record", "--model", "xai/grok", "--cost", "-1", *opts(data)
    )
    assert (code, err) == (1, "--cost must not be negative, got -1.0\n")
    code, _, err = run(
        capsys, "usage", "record", "--model", "xai/grok", "--at", "noon", *opts(data)
    )
    assert code == 1
    assert err.startswith("--at: ")
    code, _, err = run(
        capsys, "usage", "record", "--model", "xai/grok", "--policy", str(data / "none.yml")
    )
    assert code == 1
    with pytest.raises(SystemExit) as exit_:
        main(["usage", "record", "--model", "xai/grok", "--tokens", "-5"])
    assert exit_.value.code == 2
    assert "must not be negative, got -5" in capsys.readouterr().err
    assert not (data / "ledger.db").exists()
