"""POST /graphql over the demo app: the same services, validation and results as REST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_support import Demo, demo_settings, poll_until, running_demo, serve_live
from symphony.api.graphql_types import JobState
from symphony.store.jobs import JobState as StoredJobState

OVERRIDES = {
    "tokens_max": 300,
    "context_budget_tokens": 20000,
    "temperature": 0.3,
    "streaming": False,
    "tools_allowed": ["code"],
    "cost_ceiling_usd": 0.2,
    "provider_hints": ["anthropic", "local"],
    "loa": 1,
    "allow_hosted": True,
}
GQL_OVERRIDES = """{tokensMax: 300, contextBudgetTokens: 20000, temperature: 0.3,
  streaming: false, toolsAllowed: ["code"], costCeilingUsd: 0.2,
  providerHints: ["anthropic", "local"], loa: 1, allowHosted: true}"""


@pytest.fixture
async def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Demo]:
    monkeypatch.setenv("SIM_FAST", "1")
    settings = demo_settings(tmp_path).replace(jobs_poll_interval_s=0.05)
    async with running_demo(settings) as running:
        yield running


async def gql(demo: Demo, query: str, status: int = 200, **variables: Any) -> dict[str, Any]:
    response = await demo.client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def test_job_state_enum_is_the_stores() -> None:
    assert [s.value for s in JobState] == [s.value for s in StoredJobState]


async def test_every_override_is_honoured_exactly_like_rest(demo: Demo) -> None:
    rest = await demo.client.post(
        "/route/plan", json={"task": "qa", "input": "hi", "loa": 1, "overrides": OVERRIDES}
    )
    assert rest.status_code == 200, rest.text
    body = await gql(
        demo,
        f"""mutation {{ plan(request: {{task: "qa", input: "hi", loa: 1,
            overrides: {GQL_OVERRIDES}}}) {{ planId model fallbacks controls
            candidates {{ model denied denyReasons {{ code detail }} }} }} }}""",
    )
    assert "errors" not in body, body
    plan = body["data"]["plan"]
    assert plan["controls"] == rest.json()["controls"]
    assert plan["model"] == rest.json()["decision"]["primary"]["model"]
    assert plan["controls"]["provider_hints"] == ["anthropic", "local"]
    assert plan["controls"]["temperature"] == 0.3


async def test_invalid_override_names_the_field(demo: Demo) -> None:
    body = await gql(
        demo, 'mutation { plan(request: {task: "qa", overrides: {temperature: 1.9}}) { model } }'
    )
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert "body.overrides.temperature: must be between 0.0 and 1.5" in error["message"]


async def test_queries_over_models_budgets_and_jobs(demo: Demo) -> None:
    body = await gql(
        demo,
        """{ models { name provider modelClass window { kind cap remaining resetsAt } }
             budgets { tenant lines { key spent limit resetsAt } } jobs(state: DONE) { id } }""",
    )
    assert "errors" not in body, body
    names = [m["name"] for m in body["data"]["models"]]
    assert "local/ollama" in names
    default = next(b for b in body["data"]["budgets"] if b["tenant"] == "default")
    assert [line["key"] for line in default["lines"]] == ["tenant:daily:usd", "tenant:monthly:usd"]
    assert body["data"]["jobs"] == []


async def test_submit_job_then_read_it_until_done(demo: Demo) -> None:
    mutation = """mutation($key: String!) { submitJob(job: {request: {task: "qa", input: "hi"},
        run: ASAP, idempotencyKey: $key}) { created reason job { id state run } } }"""
    first = (await gql(demo, mutation, key="g1"))["data"]["submitJob"]
    again = (await gql(demo, mutation, key="g1"))["data"]["submitJob"]
    assert first["created"] is True
    assert again["created"] is False
    assert again["job"]["id"] == first["job"]["id"]
    assert first["job"]["run"] == "ASAP"
    job_id = first["job"]["id"]
    query = "query($id: ID!) { job(id: $id) { state attempts auditId answer error { code } } }"
    seen: dict[str, Any] = {}

    async def done() -> bool:
        seen.update((await gql(demo, query, id=job_id))["data"]["job"])
        return bool(seen["state"] == "DONE")

    await poll_until(done, "the GraphQL job to finish")
    assert seen["auditId"].startswith("aud_")
    assert seen["answer"]
    rest = (await demo.client.get(f"/jobs/{job_id}")).json()
    assert rest["audit_id"] == seen["auditId"]
    listed = await gql(demo, "{ jobs(state: DONE) { id state } }")
    assert listed["data"]["jobs"] == [{"id": job_id, "state": "DONE"}]
    assert (await gql(demo, 'query { job(id: "job_nope") { id } }'))["data"]["job"] is None


async def test_execute_mutation_answers_and_is_audited(demo: Demo) -> None:
    body = await gql(
        demo, 'mutation { execute(request: {task: "qa", input: "hi"}) { auditId answer model } }'
    )
    result = body["data"]["execute"]
    assert result["answer"]
    record = await demo.client.get(f"/audit/{result['auditId']}")
    assert record.status_code == 200


async def test_too_deep_or_broken_queries_are_refused_before_running(demo: Demo) -> None:
    deep = "{ a { b { c { d { e { f { g { h { i } } } } } } } } }"
    body = await gql(demo, deep, status=200)
    (error,) = body["errors"]
    assert error["message"] == "query depth 9 exceeds the limit 8"
    assert error["extensions"] == {"code": "query_too_deep", "depth": 9, "limit": 8}
    syntax = await gql(demo, "{ models { name ", status=200)
    assert syntax["errors"][0]["extensions"]["code"] == "graphql_syntax_error"
    unknown = await gql(demo, "{ nope }", status=200)
    assert "Cannot query field 'nope'" in unknown["errors"][0]["message"]
    wide = "{ " + " ".join(f"m{i}: models {{ name }}" for i in range(300)) + " }"
    costly = await gql(demo, wide, status=200)
    assert costly["errors"][0]["message"] == "query selects 600 fields; the limit is 500"


async def test_unknown_tenant_is_a_field_error_with_the_rest_code(demo: Demo) -> None:
    body = await gql(demo, '{ models(tenant: "nobody") { name } }')
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "unknown_tenant", "status": 404}
    assert error["path"] == ["models"]


async def test_graphql_over_a_real_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_FAST", "1")
    async with serve_live(demo_settings(tmp_path)) as server:
        url = server.url
        body = {
            "query": "query Q($t: String!) { models(tenant: $t) { name } }",
            "variables": {"t": "default"},
            "operationName": "Q",
        }
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            response = await client.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert {"name": "local/ollama"} in response.json()["data"]["models"]


async def test_incidents_query_lists_what_rest_lists(demo: Demo) -> None:
    filed = await demo.client.post(
        "/incidents", params={"wait_s": 0}, json={"title": "jobs stuck", "severity": "p2"}
    )
    assert filed.status_code == 201, filed.text
    body = await gql(demo, '{ incidents(status: "open") { id title severity status } }')
    assert "errors" not in body, body
    assert body["data"]["incidents"] == [
        {"id": filed.json()["id"], "title": "jobs stuck", "severity": "p2", "status": "open"}
    ]
    bad = await gql(demo, '{ incidents(status: "closed") { id } }')
    assert bad["errors"][0]["extensions"]["code"] == "validation_error"


async def test_plans_query_reads_the_tenants_plans_with_their_denials(demo: Demo) -> None:
    planned = await gql(demo, 'mutation { plan(request: {task: "qa", input: "hi"}) { planId } }')
    plan_id = planned["data"]["plan"]["planId"]
    refused = await gql(demo, 'mutation { plan(request: {task: "qa", loa: 9}) { planId } }')
    assert refused["errors"][0]["extensions"]["code"] == "no_eligible_model"
    body = await gql(demo, "{ plans(limit: 5) { outcome planId model denied } }")
    newest, older = body["data"]["plans"]
    assert newest["outcome"] == "no_eligible_model"
    assert newest["model"] is None
    assert "loa_exceeds" in newest["denied"]["local/ollama"]
    assert older["planId"] == plan_id
    assert older["outcome"] == "planned"
    assert older["model"]
