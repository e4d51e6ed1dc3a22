"""`symphony serve`: demo data apart, ports that are busy, packaged configuration, start lines."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from symphony.cli import build_parser, main
from symphony.cli.serve_cmds import SIMULATOR_PORT, serve_settings
from symphony.store.datadir import DEMO_MARKER

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SYMPHONY_"):
            monkeypatch.delenv(name)


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


@contextlib.contextmanager
def listening(port: int = 0) -> Iterator[int]:
    """Hold a listening socket on 127.0.0.1 (yields its port)."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield sock.getsockname()[1]
    finally:
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- item 1: demo data apart -------------------------------------------------------------
def test_demo_data_lives_in_its_own_directory(tmp_path: Path) -> None:
    notes: list[str] = []
    settings = serve_settings(parse("--demo"), notes)
    assert settings.data_dir == Path("data/demo")
    assert notes[0] == "demo: data in data/demo (never read by a real service)"
    assert serve_settings(parse(), []).data_dir == Path("data")


def test_demo_keeps_to_a_subdirectory_of_the_real_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYMPHONY_DATA_DIR", str(tmp_path))  # the real service's (Docker: /data)
    assert serve_settings(parse("--demo"), []).data_dir == tmp_path / "demo"
    # a directory named on the command line is the demo's own
    mine = tmp_path / "sandbox"
    assert serve_settings(parse("--demo", "--data-dir", str(mine)), []).data_dir == mine


def test_demo_data_directory_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMPHONY_DEMO_DATA_DIR", str(tmp_path / "sandbox"))
    assert serve_settings(parse("--demo"), []).data_dir == tmp_path / "sandbox"


def test_real_service_refuses_demo_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    (demo_dir / DEMO_MARKER).write_text("demo\n")
    code = main(["serve", "--data-dir", str(demo_dir), "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert f"{demo_dir} holds demo-mode records" in err
    assert "SYMPHONY_DATA_DIR" in err


# --- item 2: ports -------------------------------------------------------------------------
def test_busy_service_port_is_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with listening() as port:
        code = main(["serve", "--data-dir", str(tmp_path), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"symphony: cannot listen on 127.0.0.1:{port} (Address already in use):"
        " choose another port with --port (env SYMPHONY_PORT)\n"
    )


def test_busy_simulator_port_asked_for_is_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with listening() as busy:
        code = main(
            ["serve", "--demo", "--data-dir", str(tmp_path), "--port", str(free_port()),
             "--simulator-port", str(busy)]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert f"simulator port {busy} is in use: choose another with --simulator-port" in err


def test_busy_default_simulator_port_gives_way_to_a_free_one() -> None:
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):  # else someone else holds it: busy all the same
            stack.enter_context(listening(SIMULATOR_PORT))
        assert serve_settings(parse("--demo"), notes).simulator_port == 0
    assert f"simulator port {SIMULATOR_PORT} is busy" in notes[-1]


# --- item 8: demo off loopback -------------------------------------------------------------
def test_demo_off_loopback_says_authentication_is_on() -> None:
    notes: list[str] = []
    settings = serve_settings(parse("--demo", "--host", "0.0.0.0", "--simulator-port", "1"), notes)
    assert settings.auth_enabled
    (line,) = [n for n in notes if "authentication" in n]
    assert line == (
        "demo on 0.0.0.0: authentication is ON (not a loopback address), every call needs a"
        " key; create one: symphony keys create --role admin --name me --data-dir data/demo"
    )
    assert not serve_settings(parse("--demo", "--simulator-port", "1"), []).auth_enabled


# --- items 2 + 3 end to end: a second demo, from a directory without config/ ---------------
@pytest.mark.slow
def test_second_demo_starts_from_any_directory(tmp_path: Path) -> None:
    """With the default simulator port taken (by a first demo, or held here), `serve --demo`
    run from a directory with no config/ starts, answers, and keeps its data in data/demo."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMPHONY_")}
    env["PYTHONPATH"] = str(SRC)
    code = "import sys; from symphony.cli import main; sys.exit(main())"
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):
            stack.enter_context(listening(SIMULATOR_PORT))
        log = stack.enter_context((tmp_path / "serve.log").open("w+"))
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            answer = _first_answer(proc, f"http://127.0.0.1:{port}", tmp_path / "serve.log")
        finally:
            proc.terminate()
            proc.wait(30)
    out = (tmp_path / "serve.log").read_text()
    assert answer["answer"], out
    assert f"simulator port {SIMULATOR_PORT} is busy" in out
    assert "demo: data in data/demo" in out
    assert (tmp_path / "data" / "demo" / DEMO_MARKER).exists()
    assert (tmp_path / "data" / "demo" / "ledger.db").exists()
    assert not (tmp_path / "data" / "ledger.db").exists()


def _first_answer(proc: subprocess.Popen[bytes], base: str, log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}:\n{log.read_text()}")
        try:
            reply = httpx.post(
                f"{base}/route/execute",
                json={"task": "qa", "input": "say hello", "loa": 1},
                timeout=10,
            )
        except httpx.TransportError:
            time.sleep(0.3)
            continue
        assert reply.status_code == 200, reply.text
        body: dict[str, object] = reply.json()
        return body
    raise AssertionError(f"serve did not answer:\n{log.read_text()}")


# --- start lines in either log format -----------------------------------------------------
def test_start_lines_are_json_records_when_logs_are_json(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from symphony.cli.serve_cmds import _announce

    notes: list[str] = []
    settings = serve_settings(parse("--demo", "--simulator-port", "1"), notes)
    _announce(settings, notes, 8787)
    text = capsys.readouterr().err
    assert "!! DEMO MODE: authentication is OFF" in text
    assert text.endswith("symphony: serving on http://127.0.0.1:8787\n")
    caplog.set_level(logging.INFO, logger="symphony")
    _announce(settings.replace(log_format="json"), notes, 8787)
    assert capsys.readouterr().err == ""  # nothing but log records
    messages = [r.getMessage() for r in caplog.records if r.name == "symphony"]
    assert messages[0].startswith("DEMO MODE: authentication is OFF")
    assert messages[-1] == "symphony: serving on http://127.0.0.1:8787"


def test_simulate_on_a_busy_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with listening() as port:
        code = main(["simulate", "--port", str(port)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"symphony: cannot listen on 127.0.0.1:{port} (in use): choose another port with --port\n"
    )
