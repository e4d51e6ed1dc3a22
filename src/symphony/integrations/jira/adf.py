"""Plain text to Atlassian Document Format (Jira Cloud v3 rejects a plain-string description
with `Operation value must be an Atlassian Document`)."""

from __future__ import annotations

import re
from typing import Any

MAX_CHARS = 32_767  # Jira's limit for a text field
_INLINE = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)|\*\*([^*]+)\*\*")


def _inline(text: str) -> list[dict[str, Any]]:
    """Text nodes with link and strong marks for [label](url) and **bold**."""
    nodes: list[dict[str, Any]] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            nodes.append({"type": "text", "text": text[pos : match.start()]})
        if match.group(1) is not None:
            nodes.append(
                {
                    "type": "text",
                    "text": match.group(1),
                    "marks": [{"type": "link", "attrs": {"href": match.group(2)}}],
                }
            )
        else:
            nodes.append({"type": "text", "text": match.group(3), "marks": [{"type": "strong"}]})
        pos = match.end()
    if pos < len(text):
        nodes.append({"type": "text", "text": text[pos:]})
    return nodes


def _paragraph(lines: list[str]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        if i:
            content.append({"type": "hardBreak"})
        content.extend(_inline(line))
    return {"type": "paragraph", "content": content}


def to_adf(text: str) -> dict[str, Any]:
    """Blank-line paragraphs, `#` headings, `- ` bullet lists and ``` code fences."""
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 20] + "\n\n(truncated)"
    blocks: list[dict[str, Any]] = []
    para: list[str] = []
    bullets: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if para:
            blocks.append(_paragraph(para))
            para.clear()
        if bullets:
            items = [{"type": "listItem", "content": [_paragraph([item])]} for item in bullets]
            blocks.append({"type": "bulletList", "content": items})
            bullets.clear()

    for line in text.splitlines():
        if code is not None:
            if line.strip().startswith("```"):
                node: dict[str, Any] = {"type": "codeBlock", "content": []}
                if code:
                    node["content"] = [{"type": "text", "text": "\n".join(code)}]
                blocks.append(node)
                code = None
            else:
                code.append(line)
            continue
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code = []
        elif not stripped:
            flush()
        elif heading := re.match(r"^(#{1,6})\s+(.*)$", stripped):
            flush()
            level = len(heading.group(1))
            blocks.append(
                {"type": "heading", "attrs": {"level": level}, "content": _inline(heading.group(2))}
            )
        elif stripped.startswith(("- ", "* ")):
            if para:
                flush()
            bullets.append(stripped[2:])
        else:
            if bullets:
                flush()
            para.append(stripped)
    if code is not None:
        blocks.append({"type": "codeBlock", "content": [{"type": "text", "text": "\n".join(code)}]})
    flush()
    if not blocks:
        blocks.append({"type": "paragraph", "content": []})
    return {"type": "doc", "version": 1, "content": blocks}


def is_adf(value: object) -> bool:
    """The shape Jira checks first: a doc node of version 1 with a list of block nodes."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
        and all(isinstance(n, dict) and isinstance(n.get("type"), str) for n in value["content"])
    )


def adf_text(value: Any) -> str:
    """All text in a document (for tests and the fake's search)."""
    if isinstance(value, dict):
        own = value.get("text", "") if value.get("type") == "text" else ""
        return own + "".join(adf_text(c) for c in value.get("content", []))
    if isinstance(value, list):
        return "".join(adf_text(c) for c in value)
    return ""
