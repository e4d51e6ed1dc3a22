"""Collects every policy problem with its file, line and key path."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "<root>"


def line_map(text: str) -> dict[Path, int]:
    """Map every key path in a YAML document to its 1-based line number."""
    lines: dict[Path, int] = {}
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return lines
    if root is None:
        return lines

    def walk(node: yaml.Node, path: Path) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                child = (*path, key)
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
                lines[child] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    walk(root, ())
    return lines


class Problems:
    """Accumulates errors so one check reports all of them, not just the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._file = "<policy>"
        self._lines: dict[Path, int] = {}

    def use(self, file: str, lines: dict[Path, int]) -> None:
        self._file = file
        self._lines = lines

    def line_of(self, path: Path) -> int | None:
        probe = path
        while True:
            if probe in self._lines:
                return self._lines[probe]
            if not probe:
                return None
            probe = probe[:-1]

    def add(self, path: Path, message: str) -> None:
        line = self.line_of(path)
        where = f"{self._file}:{line}" if line is not None else self._file
        self.errors.append(f"{where}: {format_path(path)}: {message}")

    def add_raw(self, message: str) -> None:
        self.errors.append(message)

    def extend(self, errors: Sequence[str]) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)
