"""Integration settings come from the environment only (a value, or a file named in
`<NAME>_FILE`, the way Docker and Kubernetes mount secrets)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def env_value(environ: Mapping[str, str], name: str) -> str | None:
    """`environ[name]`, else the stripped contents of the file in `<name>_FILE`, else None."""
    value = (environ.get(name) or "").strip()
    if value:
        return value
    path = (environ.get(f"{name}_FILE") or "").strip()
    if not path:
        return None
    try:
        return Path(path).read_text().strip() or None
    except OSError:
        return None


def missing(environ: Mapping[str, str], *names: str) -> list[str]:
    """The names (of those given) with no value."""
    return [name for name in names if env_value(environ, name) is None]


def why_off(names: list[str]) -> str:
    return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} not set"
