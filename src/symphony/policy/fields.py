"""Typed field access over raw YAML mappings, reporting problems by key path."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from symphony.policy.problems import Path, Problems

T = TypeVar("T")

FROM_SOURCES = ("from_console", "from_headers", "optional", "unknown", "learned")


class Fields:
    """Reads one mapping; every accessor records a problem instead of raising."""

    def __init__(
        self, problems: Problems, data: object, path: Path, allowed: Collection[str]
    ) -> None:
        self.problems = problems
        self.path = path
        self.ok = isinstance(data, Mapping)
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        if not self.ok and data is not None:
            problems.add(path, f"expected a mapping, got {type(data).__name__}")
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                problems.add(
                    (*path, str(key)), f"unknown key '{key}' (expected one of: {expected})"
                )

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def at(self, key: str) -> Path:
        return (*self.path, key)

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(key), "is required")
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problems.add(self.at(key), f"expected text, got {type(value).__name__}")
            return default
        return str(value)

    def integer(self, key: str, default: int | None = None, *, minimum: int = 0) -> int | None:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(self.at(key), f"expected an integer, got {value!r}")
            return default
        if value < minimum:
            self.problems.add(self.at(key), f"must be >= {minimum}, got {value}")
            return default
        return value

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        minimum: float = 0.0,
        maximum: float | None = None,
    ) -> float | None:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.add(self.at(key), f"expected a number, got {value!r}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            self.problems.add(self.at(key), f"must be {bound}, got {value}")
            return default
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problems.add(self.at(key), f"expected true or false, got {value!r}")
            return default
        return value

    def choice(self, key: str, options: tuple[T, ...], default: T) -> T:
        value = self.data.get(key)
        if value is None:
            return default
        if value not in options:
            allowed = "|".join(str(o) for o in options)
            self.problems.add(self.at(key), f"invalid value {value!r} (expected {allowed})")
            return default
        return value  # type: ignore[no-any-return]

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.add(self.at(key), "expected a list of strings")
            return ()
        return tuple(value)

    def cap(self, key: str) -> tuple[int | None, str]:
        """A cap: a non-negative integer, or from_console / from_headers / optional."""
        value = self.data.get(key)
        if value is None:
            return None, "unknown"
        if isinstance(value, str) and value in FROM_SOURCES:
            return None, value
        if isinstance(value, bool) or not isinstance(value, int):
            sources = "|".join(FROM_SOURCES[:3])
            self.problems.add(
                self.at(key), f"expected a non-negative integer or {sources}, got {value!r}"
            )
            return None, "unknown"
        if value < 0:
            self.problems.add(self.at(key), f"cap must not be negative, got {value}")
            return None, "unknown"
        return value, "configured"
