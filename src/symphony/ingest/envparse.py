"""Typed reads of environment variables for the ingest and RAG settings (no import-time reads)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_meta(env: str, help: str) -> dict[str, str]:
    """Field metadata naming a setting's environment variable and describing it."""
    return {"env": env, "help": help}


def _convert(name: str, raw: str, kind: Any, default: Any) -> Any:
    text = raw.strip()
    if kind is bool or isinstance(default, bool):
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{name}: expected a boolean (1/0, true/false), got {raw!r}")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name}: expected an integer, got {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{name}: expected a number, got {raw!r}") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if isinstance(default, Path) or "Path" in str(kind):
        return Path(text)
    return text


def from_env(cls: type[T], environ: Mapping[str, str]) -> T:
    """Build the settings dataclass `cls` from `environ`; a bad value names its variable."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        env = field.metadata.get("env")
        if env is None:
            continue
        raw = environ.get(env)
        if raw is None or raw == "":
            continue
        values[field.name] = _convert(env, raw, field.type, field.default)
    return cls(**values)


def describe(cls: type[Any]) -> list[tuple[str, str, str]]:
    """(variable, default, description) rows, e.g. to generate .env.example."""
    rows = []
    for field in dataclasses.fields(cls):
        env = field.metadata.get("env")
        if env is None:
            continue
        default = field.default
        shown = ",".join(default) if isinstance(default, tuple) else default
        shown = "" if shown is None else str(shown)
        rows.append((env, shown, field.metadata["help"]))
    return rows
