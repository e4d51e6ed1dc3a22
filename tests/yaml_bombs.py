"""Hostile YAML for the policy tests (the unit tests and the hot-reload tests share it)."""

from __future__ import annotations


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """The classic alias bomb: `width`**`levels` strings from about a kilobyte of YAML."""
    lines = ['laughs0: &laughs0 "lolololololololol"']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*laughs{level - 1}"] * width)
        lines.append(f"laughs{level}: &laughs{level} [{refs}]")
    lines.append(f"policy: {{ models: *laughs{levels} }}")
    return "\n".join(lines) + "\n"
