"""docs/mcp.md and the README stay true to the server: the tools it lists, the mcp.json example."""

from __future__ import annotations

import json
import re
from pathlib import Path

from symphony.mcp.tools import INCIDENTS_TOOL, TOOLS, has_incidents
from symphony.security.roles import PERMISSION_ROLE

ROOT = Path(__file__).resolve().parents[2]


def json_blocks(text: str) -> list[dict[str, object]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_the_mcp_json_examples_are_valid_vscode_configs() -> None:
    for name in ("docs/mcp.md", "README.md"):
        configs = [b for b in json_blocks((ROOT / name).read_text()) if "servers" in b]
        assert len(configs) == 1, name
        config = configs[0]
        server = config["servers"]["symphony"]  # type: ignore[index]
        assert server["type"] == "http"
        assert server["url"] == "http://127.0.0.1:8787/mcp/"  # the slash: no 307
        assert server["headers"] == {"Authorization": "Bearer ${input:symphony-key}"}
        [prompt] = config["inputs"]  # type: ignore[misc]
        assert prompt["id"] == "symphony-key"
        assert prompt["password"] is True  # the key stays in VS Code's secret storage


def test_docs_list_every_tool_with_its_role() -> None:
    text = (ROOT / "docs" / "mcp.md").read_text()
    documented = dict(re.findall(r"^\| `([a-z_]+)` \|.*\| (client|operator)\b", text, re.M))
    served = {spec.name: spec for spec in (*TOOLS, INCIDENTS_TOOL)}
    assert set(documented) == set(served)
    for name, spec in served.items():
        if spec is INCIDENTS_TOOL and not has_incidents():
            continue  # its role is the incident routes' (incidents.read), not there yet
        assert documented[name] == PERMISSION_ROLE[spec.permission], name
