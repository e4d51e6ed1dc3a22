"""`symphony serve --workers N`: refused without shared stores (caps would multiply by N),
and the settings a worker process needs travel through the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from symphony.cli import main
from symphony.cli.serve_cmds import settings_env
from symphony.settings import Settings


def test_several_workers_without_shared_stores_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SYMPHONY_REDIS_URL", raising=False)
    monkeypatch.setenv("SYMPHONY_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/x")
    assert main(["serve", "--workers", "3", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "serve --workers 3 needs shared stores: set SYMPHONY_REDIS_URL." in err
    assert "a cap of 50 would admit up to 150" in err
    assert main(["serve", "--workers", "0"]) == 2


def test_settings_env_reproduces_the_command_line_in_a_worker() -> None:
    base = Settings()
    changes = {
        "host": "0.0.0.0",
        "port": 9001,
        "demo": True,
        "auth_enabled": False,
        "policy_file": Path("/etc/p.yml"),
        "cors_origins": ("https://a.example", "https://b.example"),
        "windows_file": None,
    }
    environ = settings_env(base.replace(**changes), base)
    assert environ["SYMPHONY_AUTH"] == "false"
    assert "SYMPHONY_WINDOWS_FILE" not in environ
    again = Settings.from_env(environ)
    assert {k: getattr(again, k) for k in changes if k != "windows_file"} == {
        k: v for k, v in changes.items() if k != "windows_file"
    }
