"""Tenant walls on the newer routes (issue 11, item 4, continued): jobs, budgets, SLOs,
incidents, integrations, the web corpus and GraphQL.

The rule (docs/api.md "Tenant walls"): a key bound to tenants sees and acts on its own
tenants' jobs and budgets only; SLOs, incidents and integrations describe the whole service
(no incident belongs to one tenant), so such a key gets 403 on them; the web corpus is shared
evidence it may read but not change (ingest, reindex).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from security_app import Secured, edit_yaml, secured

from symphony.clock import FixedClock
from symphony.settings import Settings

RUN = {"task": "qa", "input": "nightly", "loa": 1, "tenant": "acme"}
LATER = {"run": "at", "at": "2031-01-01T00:00:00Z", "deadline": "2031-01-02T00:00:00Z"}


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, policy_dir: Path) -> AsyncIterator[Secured]:
    def change(doc: dict[str, Any]) -> None:
        doc["tenants"]["acme"] = {"loa_max": 2, "allow_models": ["local/ollama"]}

    edit_yaml(policy_dir / "router.policy.yml", change)
    async with secured(settings, clock) as s:
        for name, role in (("operator-acme", "operator"), ("client-acme", "client")):
            if name not in s.secrets:
                _, secret = s.state.keys.create(name=name, role=role, tenants=["acme"])
                s.secrets[name] = secret
        yield s


async def test_jobs_are_walled_including_their_counts(app: Secured) -> None:
    mine = await app.call("POST", "/jobs", "client-acme", json={"request": RUN, **LATER})
    assert mine.status_code == 200, mine.text
    theirs = await app.call(
        "POST", "/jobs", "operator", json={"request": {**RUN, "tenant": "default"}, **LATER}
    )
    assert theirs.status_code == 200, theirs.text
    other = theirs.json()["job"]["id"]
    listed = (await app.call("GET", "/jobs", "client-acme")).json()
    assert [j["tenant"] for j in listed["jobs"]] == ["acme"]
    assert listed["counts"]["queued"] == 1  # not the other tenant's queue
    all_jobs = (await app.call("GET", "/jobs", "operator")).json()
    everyone = all_jobs["counts"]
    # an unbound key sees both tenants' jobs (and the service's own system jobs)
    system = sum(1 for j in all_jobs["jobs"] if j["tenant"] == "system" and j["state"] == "queued")
    assert everyone["queued"] == 2 + system
    assert set(listed["counts"]) == set(everyone)
    assert (await app.call("GET", f"/jobs/{other}", "client-acme")).status_code == 404
    assert (await app.call("DELETE", f"/jobs/{other}", "client-acme")).status_code == 404
    assert (await app.call("GET", f"/jobs/{other}", "operator")).status_code == 200


async def test_budgets_show_only_the_keys_tenants(app: Secured) -> None:
    got = (await app.call("GET", "/budgets", "client-acme")).json()
    assert {t["tenant"] for t in got["tenants"]} <= {"acme"}
    r = await app.call("GET", "/budgets", "client-acme", params={"tenant": "default"})
    assert r.status_code == 403


async def test_slos_incidents_and_integrations_need_an_unbound_key(app: Secured) -> None:
    opened = await app.call(
        "POST", "/incidents", "operator", json={"title": "drill", "severity": "p3"},
        params={"wait_s": 0},
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    incident = opened.json()["id"]
    walled = [
        ("GET", "/slo", None),
        ("GET", "/incidents", None),
        ("GET", f"/incidents/{incident}", None),
        ("POST", f"/incidents/{incident}/resolve", {}),
        ("POST", "/incidents", {"title": "mine", "severity": "p3"}),
        ("GET", "/integrations", None),
        ("POST", "/integrations/github/issues", {"title": "t", "body": "b"}),
    ]
    for method, path, body in walled:
        r = await app.call(method, path, "operator-acme", json=body)
        assert r.status_code == 403, (path, r.text)
        message = r.json()["error"]["message"]
        assert f"{method} {path} reaches every tenant" in message, message
        assert "bound to tenants acme" in message
    for method, path, _ in walled[:3]:
        assert (await app.call(method, path, "operator")).status_code == 200, path
    # nothing happened behind the wall
    assert (await app.call("GET", f"/incidents/{incident}", "operator")).json()["status"] == "open"
    assert len((await app.call("GET", "/incidents", "operator")).json()["incidents"]) == 1


async def test_the_web_corpus_is_read_shared_and_changed_only_unbound(app: Secured) -> None:
    assert (await app.call("GET", "/rag/status", "client-acme")).status_code == 200
    assert (
        await app.call("GET", "/rag/search", "client-acme", params={"q": "x"})
    ).status_code == 200
    r = await app.call("POST", "/ingest", "operator-acme", json={"urls": ["https://example.com/"]})
    assert r.status_code == 403
    assert "reaches every tenant" in r.json()["error"]["message"]
    assert (await app.call("POST", "/rag/reindex", "operator-acme")).status_code == 403
    dry = await app.call("POST", "/rag/reindex", "operator-acme", params={"dry_run": "true"})
    assert dry.status_code == 200  # an estimate changes nothing


async def test_graphql_queries_keep_the_walls(app: Secured) -> None:
    async def gql(key: str, query: str) -> dict[str, Any]:
        r = await app.call("POST", "/graphql", key, json={"query": query})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    got = await gql("client-acme", '{ plans(tenant: "default") { auditId } }')
    assert got["data"] is None
    assert "may not act for tenant 'default'" in str(got["errors"])
    got = await gql("client-acme", '{ models(tenant: "default") { name } }')
    assert "may not act for tenant 'default'" in str(got["errors"])
    got = await gql("client-acme", "{ incidents { id } }")
    assert "the incidents query reaches every tenant" in str(got["errors"])
    got = await gql("client", "{ incidents { id } }")  # a client key created with no tenant
    assert got.get("errors") is None, got
    got = await gql("client-acme", "{ budgets { tenant } }")
    assert {b["tenant"] for b in got["data"]["budgets"]} <= {"acme"}
