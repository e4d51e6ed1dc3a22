"""`symphony policy check FILE` checks a policy alone; the documented minimal policy passes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from symphony.cli import main
from symphony.cli.serve_cmds import serve_settings

ROOT = Path(__file__).resolve().parents[2]
MARK = "<!-- policy-example: the test suite runs `symphony policy check` on this block -->"
BLOCK = re.compile(re.escape(MARK) + r"\n```yaml\n(.*?)```", re.S)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POLICY_FILE", "WINDOWS_FILE", "DATA_DIR"):
        monkeypatch.delenv(f"SYMPHONY_{name}", raising=False)


def example(doc: str) -> str:
    (found,) = BLOCK.findall((ROOT / doc).read_text())
    return str(found)


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["policy", "check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_documented_minimal_policy_passes_as_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = example("docs/policy.md")
    assert example("README.md") == text, "README and docs/policy.md show different examples"
    monkeypatch.chdir(tmp_path)
    Path("my.policy.yml").write_text(text)
    code, out, err = check(capsys, "my.policy.yml")
    assert (code, err) == (0, "")
    assert f"$ symphony policy check my.policy.yml\n{out}" in (ROOT / "docs/policy.md").read_text()
    assert ", 2 models, 1 rules," in out


def test_a_policy_is_checked_alone_from_the_repository_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """config/model.windows.yml (the default models' schedules) is not beside it: unread."""
    mine = tmp_path / "my.policy.yml"
    mine.write_text(example("docs/policy.md"))
    monkeypatch.chdir(ROOT)
    code, out, err = check(capsys, str(mine))
    assert (code, err) == (0, "")
    assert out.startswith(f"ok: {mine} — version ")


def test_a_windows_file_beside_it_naming_other_models_is_left_out_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my.policy.yml").write_text(example("docs/policy.md"))
    shutil.copy(ROOT / "config" / "model.windows.yml", "model.windows.yml")
    code, out, err = check(capsys, "my.policy.yml")
    assert code == 0
    assert out.startswith("ok: my.policy.yml — version ")
    assert err == (
        "note: model.windows.yml not checked: it schedules models my.policy.yml does not"
        " declare (anthropic/claude-pro, deepseek/api, google/gemini-pro, openai/chatgpt-plus,"
        " perplexity/api, venice/api, xai/grok); check them together with --windows"
        " model.windows.yml\n"
    )
    # named, it is checked, and its strangers are errors
    code, _, err = check(capsys, "my.policy.yml", "--windows", "model.windows.yml")
    assert code == 1
    assert "schedule names unknown model 'openai/chatgpt-plus'" in err


def test_a_windows_file_beside_it_naming_its_models_is_checked_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my.policy.yml").write_text(example("docs/policy.md"))
    Path("model.windows.yml").write_text(
        "models:\n  llama:\n    model: local/llama\n"
        "    schedule: [{days: [Mon], at: '09:00', duration: '01:00'}]\n"
    )
    code, out, err = check(capsys, "my.policy.yml")
    assert (code, err) == (0, "")
    assert out.startswith("ok: my.policy.yml + model.windows.yml — version ")
    assert out.endswith(", 1 schedules\n")


def test_serve_leaves_out_a_default_windows_file_for_other_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symphony.cli import build_parser
    from symphony.cli.common import own_windows as _own_windows

    mine = tmp_path / "my.policy.yml"
    mine.write_text(example("docs/policy.md"))
    monkeypatch.chdir(ROOT)
    args = build_parser().parse_args(["serve", "--policy", str(mine)])
    notes: list[str] = []
    settings = _own_windows(args, serve_settings(args, notes), notes)
    assert settings.windows_file is None
    assert notes[-1].startswith("note: config/model.windows.yml left out: it schedules models")
    default = build_parser().parse_args(["serve"])
    assert _own_windows(default, serve_settings(default, []), []).windows_file is not None


def test_windows_command_reads_an_own_policy_beside_the_default_windows_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "my.policy.yml"
    mine.write_text(example("docs/policy.md"))
    monkeypatch.chdir(ROOT)
    argv = ["windows", "--json", "--policy", str(mine), "--data-dir", str(tmp_path / "data")]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [s["model"] for s in json.loads(out)] == ["local/llama", "openai/gpt-4o-mini"]
    assert err.startswith("note: config/model.windows.yml left out")
