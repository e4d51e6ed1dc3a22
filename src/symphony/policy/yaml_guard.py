"""Bounded YAML: a policy file cannot freeze or exhaust the process that reads it.

A 1.2 KB "billion laughs" file (anchors of anchors) expands to 10^9 nodes when something
walks it, a file of 500,000 `[` overflows a recursive parser, and any later walk of a
document with duplicate keys silently keeps the last value. `parse_bounded` refuses each of
them before anything expands the document, naming the limit that was hit:

1. size: at most `MAX_BYTES` bytes;
2. a streaming pass over the parser's events (no recursion, no expansion): nesting depth
   at most `MAX_DEPTH`, at most `MAX_ALIASES` aliases, at most `MAX_NODES` nodes;
3. over the composed node graph (each node once, aliases shared): the size and depth of the
   document *as expanded through its aliases*, a recursive alias, and duplicated keys in
   any mapping (with both line numbers);
4. only then construction (which shares aliased objects, so it stays small).

Every step is bounded by the limits, so the whole parse is too; callers that must not block
(the policy reload) still run it on a worker thread under a time limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

MAX_BYTES = 1_048_576
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_NODES = 200_000


@dataclass(frozen=True, slots=True)
class YamlLimits:
    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_aliases: int = MAX_ALIASES
    max_nodes: int = MAX_NODES


class YamlRefused(Exception):
    """The document breaks a limit or a rule; `errors` say which, with file and line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _line(node_or_event: Any) -> int:
    mark = getattr(node_or_event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def _scan_events(loader_cls: type, text: str, name: str, limits: YamlLimits) -> None:
    depth = aliases = nodes = 0
    for event in yaml.parse(text, Loader=loader_cls):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            nodes += 1
            if depth > limits.max_depth:
                raise YamlRefused(
                    [
                        f"{name}:{_line(event)}: nesting deeper than {limits.max_depth} levels "
                        f"(limit: max_depth {limits.max_depth}); refusing the file"
                    ]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > limits.max_aliases:
                raise YamlRefused(
                    [
                        f"{name}:{_line(event)}: more than {limits.max_aliases} aliases "
                        f"(limit: max_aliases {limits.max_aliases}); refusing the file"
                    ]
                )
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
        if nodes > limits.max_nodes:
            raise YamlRefused(
                [
                    f"{name}:{_line(event)}: more than {limits.max_nodes} nodes "
                    f"(limit: max_nodes {limits.max_nodes}); refusing the file"
                ]
            )


class _Graph:
    """One pass over the composed graph: expanded size and depth, recursion, duplicates."""

    def __init__(self, name: str, limits: YamlLimits) -> None:
        self.name = name
        self.limits = limits
        self.sizes: dict[int, tuple[int, int]] = {}
        self.open: set[int] = set()
        self.duplicates: list[str] = []

    def measure(self, node: yaml.Node) -> tuple[int, int]:
        """(expanded node count, expanded depth) of `node`, each node computed once."""
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.open:
            raise YamlRefused(
                [f"{self.name}:{_line(node)}: recursive alias (a node contains itself)"]
            )
        self.open.add(key)
        size, depth = 1, 0  # depth counts collections, as the event scan does
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            self._duplicates(node)
            for key_node, value_node in node.value:
                children += [key_node, value_node]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        for child in children:
            child_size, child_depth = self.measure(child)
            size += child_size
            depth = max(depth, child_depth)
        if children or not isinstance(node, yaml.ScalarNode):
            depth += 1
        self.open.discard(key)
        if size > self.limits.max_nodes:
            raise YamlRefused(
                [
                    f"{self.name}:{_line(node)}: expands through aliases to more than "
                    f"{self.limits.max_nodes} nodes (limit: max_nodes "
                    f"{self.limits.max_nodes}; an alias bomb?); refusing the file"
                ]
            )
        if depth > self.limits.max_depth:
            raise YamlRefused(
                [
                    f"{self.name}:{_line(node)}: expands through aliases to more than "
                    f"{self.limits.max_depth} levels (limit: max_depth "
                    f"{self.limits.max_depth}); refusing the file"
                ]
            )
        self.sizes[key] = (size, depth)
        return size, depth

    def _duplicates(self, node: yaml.MappingNode) -> None:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            line = _line(key_node)
            if key_node.value in seen:
                self.duplicates.append(
                    f"{self.name}:{line}: duplicate key '{key_node.value}' "
                    f"(first at line {seen[key_node.value]}); a key may appear once per mapping"
                )
            else:
                seen[key_node.value] = line


def parse_bounded(loader_cls: type, text: str, name: str, limits: YamlLimits | None = None) -> Any:
    """Parse one YAML document under `limits`; raise YamlRefused (or yaml.YAMLError)."""
    limits = limits or YamlLimits()
    size = len(text.encode("utf-8"))
    if size > limits.max_bytes:
        raise YamlRefused(
            [f"{name}: {size} bytes (limit: max_bytes {limits.max_bytes}); refusing the file"]
        )
    _scan_events(loader_cls, text, name, limits)
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        graph = _Graph(name, limits)
        graph.measure(node)
        if graph.duplicates:
            raise YamlRefused(graph.duplicates)
        return loader.construct_document(node)
    finally:
        loader.dispose()
