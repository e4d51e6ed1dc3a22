"""The MCP resources: the policy summary (tenant-filtered) and the runbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from symphony.mcp.caller import Caller
from symphony.mcp.resources import POLICY_URI, RUNBOOK_URI, find_runbook, policy_summary
from symphony.mcp.server import McpFace
from symphony.security.keys import ApiKey
from symphony.services import Services

ROOT = Path(__file__).resolve().parents[2]


def key(role: str, *tenants: str, services: Services) -> ApiKey:
    return ApiKey(
        id="key_test", name=f"{role}-test", role=role, tenants=tenants,  # type: ignore[arg-type]
        created_at=services.clock.now(), revoked_at=None, prefix="sk_test",
    )  # fmt: skip


async def test_resources_are_listed_and_read(face: McpFace, services: Services) -> None:
    await services.control.kill("provider", "xai", "resource test", "pytest")
    async with Client(face.server) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        policy = json.loads((await client.read_resource(POLICY_URI)).contents[0].text)
        runbook = (await client.read_resource(RUNBOOK_URI)).contents[0].text
    assert listed[POLICY_URI].mime_type == "application/json"
    assert listed[RUNBOOK_URI].mime_type == "text/markdown"
    snapshot = services.policy.snapshot
    assert policy["status"]["version"] == snapshot.version
    assert [m["name"] for m in policy["models"]] == [m.name for m in snapshot.models]
    assert [r["name"] for r in policy["rules"]] == [r.name for r in snapshot.routing_rules]
    assert policy["overrides_schema"]["temperature_max"] == 1.5
    assert [(k["scope"], k["target"]) for k in policy["kills"]] == [("provider", "xai")]
    assert runbook == (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")


def test_a_tenant_bound_key_sees_only_its_tenants(services: Services) -> None:
    everyone = policy_summary(services, Caller(key("operator", services=services)))
    assert [t["name"] for t in everyone["tenants"]] == ["default", "restricted"]
    bound = policy_summary(services, Caller(key("client", "restricted", services=services)))
    assert [t["name"] for t in bound["tenants"]] == ["restricted"]
    assert bound["status"]["tenants"] == ["restricted"]
    assert all(r["tenant"] in (None, "restricted") for r in bound["rules"])
    unbound_client = policy_summary(services, Caller(key("client", services=services)))
    assert [t["name"] for t in unbound_client["tenants"]] == ["default"]


def test_the_runbook_is_found_from_the_source_tree_and_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_runbook() == ROOT / "docs" / "runbook.md"
    elsewhere = tmp_path / "site-packages" / "symphony" / "mcp" / "resources.py"
    monkeypatch.chdir(tmp_path)
    assert find_runbook(elsewhere) is None
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "runbook.md").write_text("# Runbook\n")
    assert find_runbook(elsewhere) == tmp_path / "docs" / "runbook.md"
