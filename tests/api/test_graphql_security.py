"""GraphQL shares REST's keys, roles and tenant binding; so do the job endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from security_app import Secured, add_tenant_acme, secured

from symphony.clock import FixedClock
from symphony.settings import Settings

SUBMIT = """mutation($tenant: String!) { submitJob(job: {request: {task: "qa", input: "hi",
  tenant: $tenant}, run: AT, at: "2099-01-01T00:00:00Z"}) { job { id tenant } } }"""


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, policy_dir: Path) -> Any:
    add_tenant_acme(policy_dir)
    async with secured(settings, clock, jobs_enabled=False) as s:
        yield s


async def gql(app: Secured, as_: str | None, query: str, **variables: Any) -> Any:
    return await app.call("POST", "/graphql", as_, json={"query": query, "variables": variables})


async def test_graphql_needs_a_key(app: Secured) -> None:
    response = await gql(app, None, "{ jobs { id } }")
    assert response.status_code == 401


async def test_a_bound_key_acts_and_sees_its_tenant_only(app: Secured) -> None:
    mine = await gql(app, "client-acme", SUBMIT, tenant="acme")
    assert mine.status_code == 200, mine.text
    acme_job = mine.json()["data"]["submitJob"]["job"]
    assert acme_job["tenant"] == "acme"
    other = (await gql(app, "client-acme", SUBMIT, tenant="default")).json()
    (error,) = other["errors"]
    assert error["extensions"]["code"] == "forbidden"
    assert "key 'client-acme' may not act for tenant 'default'" in error["message"]
    default_job = (await gql(app, "operator", SUBMIT, tenant="default")).json()
    default_id = default_job["data"]["submitJob"]["job"]["id"]

    seen = (await gql(app, "client-acme", "{ jobs { id } }")).json()["data"]["jobs"]
    assert seen == [{"id": acme_job["id"]}]
    hidden = await gql(app, "client-acme", "query($id: ID!) { job(id: $id) { id } }", id=default_id)
    assert hidden.json()["data"]["job"] is None
    assert (await app.call("GET", f"/jobs/{default_id}", "client-acme")).status_code == 404
    rest_list = (await app.call("GET", "/jobs", "client-acme")).json()
    assert [j["id"] for j in rest_list["jobs"]] == [acme_job["id"]]
    refused = await app.call("DELETE", f"/jobs/{default_id}", "client-acme")
    assert refused.status_code == 404
    everyone = (await gql(app, "operator", "{ jobs { id } }")).json()["data"]["jobs"]
    ids = {j["id"] for j in everyone}  # both tenants' jobs (and the nightly system job)
    assert {acme_job["id"], default_id} <= ids
    models = (await gql(app, "client-acme", '{ models(tenant: "default") { name } }')).json()
    assert models["errors"][0]["extensions"]["code"] == "forbidden"


async def test_rest_jobs_refuse_another_tenant(app: Secured) -> None:
    body = {"request": {"task": "qa", "input": "hi", "tenant": "default"}}
    response = await app.call("POST", "/jobs", "client-acme", json=body)
    assert response.status_code == 403
    assert "may not act for tenant 'default'" in response.json()["error"]["message"]
