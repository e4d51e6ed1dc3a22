"""Simulator config loading, reply templates, and the blocking `run_simulator` entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from symphony.simulator import (
    DEFAULT_CONFIG,
    SimulatorConfigError,
    config_from_mapping,
    load_simulator_config,
    start_simulator,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "simulator.yml"


def test_example_yaml_mirrors_the_builtin_defaults() -> None:
    assert yaml.safe_load(EXAMPLE.read_text()) == DEFAULT_CONFIG
    assert load_simulator_config(EXAMPLE) == load_simulator_config(None)


def test_defaults_cover_symphony_default_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIM_FAST", raising=False)
    config = load_simulator_config(None)

    assert set(config.models) == {
        "gpt-4o-mini",
        "claude-sonnet-4",
        "gemini-2.5-flash",
        "grok-4",
        "sonar",
        "deepseek-chat",
        "venice-uncensored",
        "llama3.1:8b",
        "litellm-default",
        "gpt-4o",
        "text-embedding-3-small",
        "nomic-embed-text",
        "gemini-embedding-001",
    }
    assert config.fast is False
    sonar = config.models["sonar"]
    assert (sonar.cap, sonar.window_s) == (50, 60)
    assert config.models["claude-sonnet-4"].header_style == "anthropic_unified"
    assert all(30 <= m.ttft_ms <= 120 for m in config.models.values())
    assert all(200 <= m.tokens_per_s <= 400 for m in config.models.values())


def test_sim_fast_environment_forces_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_FAST", "1")

    assert load_simulator_config(None).fast is True


def test_invalid_file_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "sim.yml"
    bad.write_text("models:\n  m1:\n    protocol: carrier-pigeon\n")

    with pytest.raises(SimulatorConfigError) as caught:
        load_simulator_config(bad)

    assert str(bad) in caught.value.message
    assert "models.m1.protocol" in caught.value.message


def test_missing_file_and_non_mapping_are_config_errors(tmp_path: Path) -> None:
    listed = tmp_path / "list.yml"
    listed.write_text("- 1\n- 2\n")

    with pytest.raises(SimulatorConfigError):
        load_simulator_config(tmp_path / "absent.yml")
    with pytest.raises(SimulatorConfigError):
        load_simulator_config(listed)


async def test_reply_template_fills_model_and_words() -> None:
    config = config_from_mapping(
        {
            "fast": True,
            "models": {
                "echo": {"protocol": "openai", "reply": "[{model}] you said: {words} {unknown}"}
            },
        }
    )
    running = await start_simulator(config)
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as client:
            resp = await client.post(
                "/openai/v1/chat/completions",
                json={"model": "echo", "messages": [{"role": "user", "content": "ping pong"}]},
            )
    finally:
        await running.stop()

    content = resp.json()["choices"][0]["message"]["content"]
    assert content == "[echo] you said: ping pong {unknown}"
    assert resp.json()["usage"]["completion_tokens"] == 6


def test_run_simulator_serves_until_terminated(tmp_path: Path) -> None:
    script = (
        "from symphony.simulator import run_simulator; "
        f"run_simulator('127.0.0.1', 0, {str(EXAMPLE)!r})"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    ) as proc:
        try:
            assert proc.stdout is not None
            banner = proc.stdout.readline()
            base_url = banner.split(" listening on ", 1)[1].split()[0]
            resp = httpx.get(f"{base_url}/ollama/api/tags", timeout=5)
            assert resp.status_code == 200
            proc.terminate()
            assert proc.wait(timeout=10) == 0  # SIGTERM is a clean shutdown
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.mark.parametrize("template", ["{0} positional", "unclosed {model", "{model.attr}"])
def test_reply_templates_that_cannot_render_are_rejected(template: str) -> None:
    with pytest.raises(SimulatorConfigError, match=r"models\.bad\.reply"):
        config_from_mapping({"models": {"bad": {"protocol": "openai", "reply": template}}})
