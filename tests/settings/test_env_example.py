""".env.example is generated from the settings models; the committed file must match."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field

from symphony.cli import main
from symphony.cli.settings_cmd import SETTINGS_MODELS, env_example
from symphony.settings import EnvSettings, Settings
from symphony.settings.env_example import render_env_example

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / ".env.example"


def variables(text: str) -> dict[str, str]:
    return dict(
        line.partition("=")[::2] for line in text.splitlines() if line and not line.startswith("#")
    )


def test_the_committed_file_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == env_example(), (
        ".env.example is out of date: run `symphony settings env-example > .env.example`"
    )


def comments(text: str) -> dict[str, str]:
    """Each variable -> the comment lines just above it, joined."""
    out: dict[str, str] = {}
    block: list[str] = []
    for line in text.splitlines():
        if line.startswith("# "):
            block.append(line[2:])
        elif line and not line.startswith("#"):
            out[line.partition("=")[0]] = " ".join(block)
            block = []
        else:
            block = []
    return out


@pytest.mark.parametrize("model", SETTINGS_MODELS, ids=lambda m: m.__name__)
def test_every_setting_with_its_default_and_description(model: type[EnvSettings]) -> None:
    text = env_example()
    values, notes = variables(text), comments(text)
    defaults = model()
    for _name, variable, info in model.env_fields():
        assert info.description is not None
        assert info.description.removesuffix(".") in notes[variable]
        assert "(default " in notes[variable]
        # Each value as written is the default: uncommenting the file changes nothing.
        assert model.from_env({variable: values[variable]}) == defaults


def test_the_service_defaults_are_written_as_they_are() -> None:
    notes = comments(env_example())
    assert "(default 8787)" in notes["SYMPHONY_PORT"]
    assert "(default /status/health.json)" in notes["SYMPHONY_PUBLIC_PATHS"]
    assert "(default unset)" in notes["SYMPHONY_AUDIT_HMAC_SECRET"]


def test_the_provider_keys_and_operator_tools_follow_the_settings() -> None:
    text = render_env_example()
    assert text.index("SYMPHONY_BODY_LIMIT_BYTES=") < text.index("PROXY_BASE=")
    for key in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "LITELLM_API_KEY", "SYMPHONY_KEY"):
        assert variables(text)[key] == ""


def test_secrets_never_get_a_value() -> None:
    assert variables(render_env_example())["SYMPHONY_AUDIT_HMAC_SECRET"] == ""


class PagingSettings(EnvSettings):
    env_section: ClassVar[str] = "paging"
    paging_timeout_s: float = Field(10.0, description="Seconds a page may take to send.")


def test_a_new_subsystem_model_gets_its_own_section() -> None:
    text = render_env_example(Settings, PagingSettings)
    assert "# --- paging " in text
    assert "# Seconds a page may take to send (default 10).\nSYMPHONY_PAGING_TIMEOUT_S=10\n" in text


def test_the_cli_prints_and_checks_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["settings", "env-example"]) == 0
    assert capsys.readouterr().out == env_example()
    assert main(["settings", "env-example", "--check", str(COMMITTED)]) == 0
    stale = tmp_path / ".env.example"
    stale.write_text(COMMITTED.read_text(encoding="utf-8").replace("8787", "8788"))
    assert main(["settings", "env-example", "--check", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
