"""Simulator configuration: simulated models, their latencies, caps and header styles.

The defaults live here in code (the repo's `config/simulator.yml` mirrors them as an example)
so an installed package can start the simulator with no files at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from symphony.errors import SymphonyError

SimProtocol = Literal["openai", "anthropic", "gemini", "ollama"]
HeaderStyle = Literal["openai", "anthropic", "anthropic_unified", "none", "ietf"]

DEFAULT_REPLY = "Simulated {model} answer: {words}"


class SimulatorConfigError(SymphonyError):
    """The simulator config file is unreadable or invalid; `detail` lists each problem."""

    status = 422
    code = "simulator_config_invalid"


class SimModel(BaseModel):
    """One simulated upstream model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: SimProtocol
    vendor: str = ""
    header_style: HeaderStyle = "none"
    ttft_ms: float = Field(default=50.0, ge=0)
    tokens_per_s: float = Field(default=300.0, gt=0)
    reply: str | None = None
    cap: int | None = Field(default=None, ge=0, description="requests per window; None = no cap")
    window_s: float = Field(default=60.0, gt=0)
    tokens_cap: int | None = Field(default=None, ge=0, description="tokens per window")
    weekly_cap: int | None = Field(
        default=None, ge=0, description="anthropic_unified 7d cap; default 10 x cap"
    )
    vision: bool = Field(default=False, description="accepts images (else a 400 like upstream)")
    kind: Literal["chat", "embedding"] = "chat"
    dimensions: int = Field(default=256, ge=1, le=8192, description="embedding size")

    @field_validator("reply")
    @classmethod
    def _template_renders(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format_map(_Probe())
            except (ValueError, IndexError, AttributeError) as exc:
                raise ValueError(f"reply template cannot be rendered: {exc}") from exc
        return value


class _Probe(dict[str, str]):
    """Accepts any `{field}` so only the template's syntax is checked."""

    def __missing__(self, key: str) -> str:
        return ""


class SimulatorConfig(BaseModel):
    """All simulated models plus global switches; `fast` drops every latency to zero."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast: bool = False
    models: dict[str, SimModel]

    def model(self, name: str) -> SimModel | None:
        """Return the simulated model called `name`, or None."""
        return self.models.get(name)


DEFAULT_CONFIG: dict[str, Any] = {
    "fast": False,
    "models": {
        "gpt-4o-mini": {
            "protocol": "openai",
            "vendor": "openai",
            "header_style": "openai",
            "ttft_ms": 40,
            "tokens_per_s": 350,
            "cap": 30000,
            "window_s": 60,
            "tokens_cap": 150_000_000,
            "vision": True,
        },
        "gpt-4o": {
            "protocol": "openai",
            "vendor": "openai",
            "header_style": "openai",
            "ttft_ms": 60,
            "tokens_per_s": 250,
            "cap": 10000,
            "window_s": 60,
            "tokens_cap": 30_000_000,
            "vision": True,
        },
        "text-embedding-3-small": {
            "protocol": "openai",
            "vendor": "openai",
            "header_style": "openai",
            "ttft_ms": 30,
            "cap": 10000,
            "window_s": 60,
            "kind": "embedding",
            "dimensions": 1536,
        },
        "nomic-embed-text": {
            "protocol": "ollama",
            "vendor": "ollama",
            "ttft_ms": 30,
            "kind": "embedding",
            "dimensions": 768,
        },
        "gemini-embedding-001": {
            "protocol": "gemini",
            "vendor": "google",
            "ttft_ms": 30,
            "cap": 1000,
            "window_s": 60,
            "kind": "embedding",
            "dimensions": 768,
        },
        "claude-sonnet-4": {
            "protocol": "anthropic",
            "vendor": "anthropic",
            "header_style": "anthropic_unified",
            "ttft_ms": 90,
            "tokens_per_s": 250,
            "cap": 1000,
            "window_s": 18000,
            "tokens_cap": 10_000_000,
            "vision": True,
        },
        "gemini-2.5-flash": {
            "protocol": "gemini",
            "vendor": "google",
            "header_style": "none",
            "ttft_ms": 60,
            "tokens_per_s": 400,
            "cap": 1000,
            "window_s": 60,
            "tokens_cap": 1_000_000,
            "vision": True,
        },
        "grok-4": {
            "protocol": "openai",
            "vendor": "xai",
            "header_style": "openai",
            "ttft_ms": 120,
            "tokens_per_s": 200,
            "cap": 480,
            "window_s": 60,
            "tokens_cap": 2_000_000,
        },
        "sonar": {
            "protocol": "openai",
            "vendor": "perplexity",
            "header_style": "openai",
            "ttft_ms": 100,
            "tokens_per_s": 250,
            "cap": 50,
            "window_s": 60,
        },
        "deepseek-chat": {
            "protocol": "openai",
            "vendor": "deepseek",
            "header_style": "none",
            "ttft_ms": 110,
            "tokens_per_s": 200,
        },
        "venice-uncensored": {
            "protocol": "openai",
            "vendor": "venice",
            "header_style": "openai",
            "ttft_ms": 80,
            "tokens_per_s": 250,
            "cap": 500,
            "window_s": 60,
            "tokens_cap": 1_000_000,
        },
        "llama3.1:8b": {
            "protocol": "ollama",
            "vendor": "ollama",
            "header_style": "none",
            "ttft_ms": 30,
            "tokens_per_s": 300,
        },
        "litellm-default": {
            "protocol": "openai",
            "vendor": "litellm",
            "header_style": "openai",
            "ttft_ms": 50,
            "tokens_per_s": 300,
            "cap": 10000,
            "window_s": 60,
            "tokens_cap": 10_000_000,
        },
    },
}


def _env_fast() -> bool:
    return os.environ.get("SIM_FAST", "").strip().lower() in {"1", "true", "yes", "on"}


def _format_errors(source: str, exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"])
        problems.append(f"{source}: {where}: {err['msg']}")
    return problems


def config_from_mapping(data: Mapping[str, Any], *, source: str = "<config>") -> SimulatorConfig:
    """Validate a mapping into a SimulatorConfig; SIM_FAST=1 in the environment forces fast."""
    try:
        config = SimulatorConfig.model_validate(dict(data))
    except ValidationError as exc:
        problems = _format_errors(source, exc)
        raise SimulatorConfigError("; ".join(problems), detail=problems) from exc
    if _env_fast() and not config.fast:
        config = config.model_copy(update={"fast": True})
    return config


def load_simulator_config(path: str | Path | None = None) -> SimulatorConfig:
    """Load a simulator config from YAML, or the built-in defaults when `path` is None."""
    if path is None:
        return config_from_mapping(DEFAULT_CONFIG, source="<defaults>")
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SimulatorConfigError(f"{file}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SimulatorConfigError(f"{file}: invalid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise SimulatorConfigError(f"{file}: expected a mapping with a 'models' key")
    return config_from_mapping(raw, source=str(file))
