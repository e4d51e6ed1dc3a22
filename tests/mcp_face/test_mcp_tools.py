"""The MCP tools in-process (`mcp.Client(server)`), over a running demo app's Services.

Each tool must do what its REST twin does: same validation (the REST body models), same
audit records and facts (the same flows), same errors (as MCP tool errors naming the field).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from mcp import Client

from app_support import Demo
from symphony.api.execute import ExecuteIn
from symphony.api.permissions import ROUTE_PERMISSIONS
from symphony.api.schemas import PlanIn
from symphony.mcp.caller import TRUSTED
from symphony.mcp.server import McpFace
from symphony.mcp.tooling import invoke
from symphony.mcp.tools import INCIDENTS_TOOL, has_incidents, tool_specs
from symphony.services import Services

PLAN = {"task": "qa", "input": "Which window resets first?", "loa": 1}
REST_TWINS = {
    "plan": "POST /route/plan",
    "execute": "POST /route/execute",
    "models": "GET /models",
    "health": "GET /status/health.json",
    "burndown": "GET /status/burndown.json",
    "audit_record": "GET /audit/{audit_id}",
    "incidents": "GET /incidents",
}


async def call(face: McpFace, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(face.server) as client:
        return await client.call_tool(tool, arguments)


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    error: dict[str, Any] = result.structured_content["error"]
    assert result.content[0].text.startswith(f"{error['code']}: ")
    return error


async def test_tools_are_listed_with_the_rest_bodies_as_input_schemas(face: McpFace) -> None:
    async with Client(face.server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    expected = {"plan", "execute", "models", "health", "burndown", "audit_record"}
    assert set(tools) == (expected | {"incidents"} if has_incidents() else expected)
    plan = tools["plan"].input_schema
    assert set(plan["properties"]) == set(PlanIn.model_fields)
    assert plan["required"] == ["task"]
    assert plan["additionalProperties"] is False
    assert plan["properties"]["task"]["pattern"] == "^[A-Za-z0-9_.:-]+$"
    execute = tools["execute"].input_schema
    assert set(execute["properties"]) == set(ExecuteIn.model_fields) - {"stream"}
    assert tools["plan"].annotations.read_only_hint is True
    assert tools["execute"].annotations.read_only_hint is False


def test_each_tool_needs_the_permission_of_its_rest_twin() -> None:
    for spec in (*tool_specs(), INCIDENTS_TOOL):
        twin = ROUTE_PERMISSIONS.get(REST_TWINS[spec.name])
        if twin is None:  # GET /incidents arrives with the incidents routes
            assert spec.name == "incidents"
            continue
        assert spec.permission == twin, spec.name


async def test_plan_is_audited_and_announced_like_rest(face: McpFace, services: Services) -> None:
    result = await call(face, "plan", PLAN)
    assert not result.is_error, result.content[0].text
    plan = result.structured_content
    assert plan["plan_id"].startswith("pln_")
    primary = plan["decision"]["primary"]
    assert primary["model"] in {c["model"] for c in plan["candidates"]}
    assert all("latency" in c["factors"] for c in plan["candidates"])
    records = await services.audit.query(type="route.plan")
    assert [r.payload["plan_id"] for r in records] == [plan["plan_id"]]
    assert records[0].payload["model"] == primary["model"]
    facts = [e.data() for e in services.bus.buffer if e.type == "route.plan"]
    assert [f["plan_id"] for f in facts] == [plan["plan_id"]]


async def test_bad_arguments_are_tool_errors_naming_each_field(face: McpFace) -> None:
    arguments = {"task": "two words", "loa": 11, "overrides": {"temperature": 3}, "loa_max": 1}
    error = error_of(await call(face, "plan", arguments))
    assert error["code"] == "validation_error"
    paths = {f["path"] for f in error["detail"]["fields"]}
    assert paths == {"task", "loa", "overrides.temperature", "loa_max"}
    assert "loa_max: Extra inputs are not permitted" in error["message"]
    # Bounds that come from the policy (not the schema) are named the same way.
    error = error_of(await call(face, "plan", {**PLAN, "overrides": {"temperature": 1.9}}))
    assert error["message"] == "overrides.temperature: must be between 0.0 and 1.5"
    error = error_of(await call(face, "plan", {**PLAN, "tenant": "nobody"}))
    assert error["code"] == "unknown_tenant"


async def test_execute_answers_once_with_audit_and_ledger(
    face: McpFace, services: Services
) -> None:
    result = await call(face, "execute", {"task": "qa", "input": "say hello", "loa": 1})
    assert not result.is_error, result.content[0].text
    body = result.structured_content
    assert body["answer"]
    assert body["audit_id"].startswith("aud_")
    record = await services.audit.get(body["audit_id"])
    assert record is not None
    assert record.type == "route.execute"
    assert record.payload["model"] == body["decision"]["model"]
    executed = [e.data() for e in services.bus.buffer if e.type == "route.execute"]
    assert [e["audit_id"] for e in executed] == [body["audit_id"]]
    burndown = (await call(face, "burndown", {})).structured_content
    assert burndown["windows"]["h1"][body["decision"]["model"]]["requests"] == 1


async def test_execute_refuses_streaming_and_empty_work(face: McpFace) -> None:
    error = error_of(await call(face, "execute", {"task": "qa", "input": "x", "stream": True}))
    assert [f["path"] for f in error["detail"]["fields"]] == ["stream"]
    error = error_of(await call(face, "execute", {"task": "qa"}))
    assert "give `input` (text) or `messages`" in error["message"]


async def test_a_kill_comes_back_as_an_explained_tool_error(
    face: McpFace, services: Services
) -> None:
    await services.control.kill("all", None, "mcp test", "pytest")
    result = await call(face, "execute", {"task": "qa", "input": "x"})
    error = error_of(result)
    assert error["code"] == "no_eligible_model"
    assert error["status"] == 409
    assert "mcp test" in result.content[0].text  # the explanation: every candidate denied


async def test_models_health_and_audit_record(face: McpFace, services: Services) -> None:
    matrix = (await call(face, "models", {})).structured_content
    assert matrix["policy_version"] == services.policy.snapshot.version
    assert {row["model"] for row in matrix["items"]} == {
        m.name for m in services.policy.snapshot.models
    }
    assert all("remaining" in row["window"] for row in matrix["items"])
    error = error_of(await call(face, "models", {"tenant": "nope"}))
    assert error["code"] == "unknown_tenant"
    health = (await call(face, "health", {})).structured_content
    assert health["policy_loaded"] is True
    assert health["store"] == {"ok": True}
    executed = (await call(face, "execute", {"task": "qa", "input": "x"})).structured_content
    record = await call(face, "audit_record", {"audit_id": executed["audit_id"]})
    assert record.structured_content["id"] == executed["audit_id"]
    error = error_of(await call(face, "audit_record", {"audit_id": "aud_missing"}))
    assert (error["code"], error["status"]) == ("not_found", 404)


async def test_rest_and_mcp_give_the_same_matrix_and_health(face: McpFace, demo: Demo) -> None:
    rest_models = (await demo.client.get("/models")).json()
    rest_health = (await demo.client.get("/status/health.json")).json()
    mcp_models = (await call(face, "models", {})).structured_content
    mcp_health = (await call(face, "health", {})).structured_content
    assert [r["model"] for r in mcp_models["items"]] == [r["model"] for r in rest_models["items"]]
    assert mcp_health.keys() == rest_health.keys()
    assert mcp_health["services"].keys() == rest_health["services"].keys()


class FakeIncidents:
    """The incident service's reading side, as the incidents tool's protocol needs it."""

    def __init__(self, incidents: list[Any]) -> None:
        self.items = incidents
        self.asked: list[str | None] = []

    def incidents(self, status: str | None = None, roadmap: bool = False) -> list[Any]:
        self.asked.append(status)
        return [i for i in self.items if status in (None, i.status)]


async def test_incidents_tool_reads_the_service_through_its_protocol(services: Services) -> None:
    from symphony.incidents.model import Incident

    now = services.clock.now()
    made = [
        Incident(
            id=f"inc_{n}", key=f"manual:{n}", source="manual", title=f"T{n}", body="b",
            severity="p2", status=status, opened_at=now, updated_at=now,
        )
        for n, status in enumerate(["open", "resolved", "open"])
    ]  # fmt: skip
    reader = FakeIncidents(made)
    with_incidents = SimpleNamespace(incidents=reader)
    result = await invoke(INCIDENTS_TOOL, with_incidents, TRUSTED, {})  # type: ignore[arg-type]
    assert not result.is_error
    assert [i["id"] for i in result.structured_content["items"]] == ["inc_0", "inc_2"]
    assert reader.asked == ["open"]
    # Services may hold a bundle of incident services with the service as `.incidents`.
    bundle = SimpleNamespace(incidents=SimpleNamespace(incidents=reader))
    resolved = await invoke(INCIDENTS_TOOL, bundle, TRUSTED, {"status": "resolved"})  # type: ignore[arg-type]
    assert [i["id"] for i in resolved.structured_content["items"]] == ["inc_1"]
    without = await invoke(INCIDENTS_TOOL, SimpleNamespace(), TRUSTED, {})  # type: ignore[arg-type]
    assert without.is_error
    assert "incidents are not enabled" in without.content[0].text
