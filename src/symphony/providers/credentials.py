"""Provider keys come only from the env var named in policy (or the file in <NAME>_FILE)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from symphony.policy.model import ModelSpec


class Credentials:
    """Resolves keys on demand; values are never logged or echoed (the redactor masks them)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self._cache: dict[str, str | None] = {}

    def key_for(self, spec: ModelSpec) -> str | None:
        if spec.endpoint is None or spec.endpoint.api_key_env is None:
            return None
        return self.lookup(spec.endpoint.api_key_env)

    def lookup(self, name: str) -> str | None:
        if name in self._cache:
            return self._cache[name]
        value = self.environ.get(name) or None
        file_name = self.environ.get(f"{name}_FILE")
        if value is None and file_name:
            try:
                value = Path(file_name).read_text().strip() or None
            except OSError:
                value = None
        self._cache[name] = value
        return value

    def available(self, spec: ModelSpec) -> bool:
        """True when the model needs no key or its key is set."""
        if spec.endpoint is None:
            return False
        if spec.endpoint.api_key_env is None:
            return True
        return self.lookup(spec.endpoint.api_key_env) is not None

    def all_values(self, specs: list[ModelSpec]) -> list[str]:
        """Every configured key value (for the redactor)."""
        values = [self.key_for(s) for s in specs]
        return [v for v in values if v]

    def refresh(self) -> None:
        self._cache.clear()
