"""`.env.example`, generated from the settings models (`symphony settings env-example`)."""

from __future__ import annotations

import textwrap
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from symphony.settings.base import EnvSettings
from symphony.settings.model import Settings

__all__ = ["render_env_example", "render_value"]

HEADER = """\
# Symphony settings (copy to .env; `docker run --env-file .env`, or export them).
# Settings need a restart; policy (models, quotas, windows, rules, tenants) is YAML and
# hot-reloads. Empty values mean "use the default" shown in each comment.
# Generated from src/symphony/settings by `symphony settings env-example`: do not edit by hand.
"""

# Variables other programs read (the Justfile, provider adapters through the policy's
# `api_key_env`): documented here, not settings of the service.
TRAILER = """\
# --- operator tools (client side, not read by the service) ------------------------------------
# Base URL the Justfile targets call (default http://127.0.0.1:8787).
PROXY_BASE=http://127.0.0.1:8787
# API key the Justfile sends as `Authorization: Bearer …` when auth is on.
SYMPHONY_KEY=

# --- provider keys (named by `api_key_env` in config/router.policy.yml) ----------------------
# Each may instead be read from a file: set <NAME>_FILE=/run/secrets/<name>.
# Anthropic API (anthropic/claude-pro).
ANTHROPIC_API_KEY=
# Google Gemini API (google/gemini-pro).
GEMINI_API_KEY=
# xAI API (xai/grok).
XAI_API_KEY=
# Perplexity API (perplexity/api).
PERPLEXITY_API_KEY=
# DeepSeek API (deepseek/api).
DEEPSEEK_API_KEY=
# Venice API (venice/api).
VENICE_API_KEY=
# LiteLLM proxy master/virtual key (litellm/proxy).
LITELLM_API_KEY=
"""

RULE_WIDTH = 96


def render_value(value: Any) -> str:
    """A default in environment syntax: booleans lower-case, tuples comma-separated, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(render_value(v) for v in value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


def _section(model: type[EnvSettings]) -> list[str]:
    title = f"# --- {model.env_section or model.__name__} "
    lines = ["", title + "-" * max(3, RULE_WIDTH - len(title))]
    for _name, variable, info in model.env_fields():
        default = None if info.default is PydanticUndefined else info.default
        secret = info.repr is False
        shown = "unset" if default is None or default == () else render_value(default)
        description = (info.description or "").rstrip().removesuffix(".")
        comment = f"{description} (default {'unset' if secret else shown})."
        lines.extend(
            textwrap.wrap(comment, RULE_WIDTH, initial_indent="# ", subsequent_indent="# ")
        )
        lines.append(f"{variable}={'' if secret else render_value(default)}")
    return lines


def render_env_example(*models: type[EnvSettings]) -> str:
    """The whole file: every variable of `models` (default: the service's `Settings`)
    with its description and default, then the fixed operator and provider-key section."""
    sections = [section for model in models or (Settings,) for section in model.sections()]
    lines = [HEADER.rstrip("\n")]
    for model in sections:
        lines.extend(_section(model))
    return "\n".join(lines) + "\n\n" + TRAILER
