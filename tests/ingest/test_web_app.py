"""The web stack inside the running service: POST /ingest, /rag/*, facts, audit, metrics,
scheduled refresh and policy hot reload, against the local test site."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from ingest_site import Site

from app_support import demo_settings, poll_until, running_app
from symphony.clock import FixedClock
from symphony.settings import Settings


def web_section(site: Site, extra: str = "") -> str:
    return f"""
web:
  rps: 100
  timeout_s: 8
  cache_ttl_s: 0
  max_age: 1d
  sources:
    - name: nature
      urls: ["{site.url("/static/aurora")}", "{site.url("/static/glacier")}"]
      strategy: scrape
{extra}"""


def settings_with(tmp_path: Path, section: str) -> Settings:
    settings = demo_settings(tmp_path)
    policy = Path(settings.policy_file)
    policy.write_text(policy.read_text() + section)
    return settings


def environ(site: Site, **extra: str) -> dict[str, str]:
    return {
        "SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS": f"127.0.0.1:{site.port}",
        "SYMPHONY_WEB_USER_AGENT": "SymphonyTest/1.0 (+tests)",
        "SYMPHONY_WEB_REFRESH_CHECK_S": "3600",
        **extra,
    }


@asynccontextmanager
async def web_app(
    settings: Settings, site: Site, **extra: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(settings, environ=environ(site, **extra)) as (app, client):
        yield app, client


def events(app: FastAPI, type_: str) -> list[dict[str, Any]]:
    return [e.data() for e in app.state.symphony.bus.buffer if e.type == type_]


async def test_ingest_urls_query_documents_and_facts(tmp_path: Path, site: Site) -> None:
    async with web_app(settings_with(tmp_path, web_section(site)), site) as (app, client):
        response = await client.post(
            "/ingest",
            json={"urls": [site.url("/static/aurora"), site.url("/private/hidden")],
                  "strategy": "scrape"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["trigger"] == "api"
        assert body["summary"] == {"ingested": 1, "duplicate": 0, "refused": 1, "failed": 0}
        by_url = {item["url"]: item for item in body["items"]}
        assert by_url[site.url("/private/hidden")]["reason"] == "robots_disallowed"
        aurora = by_url[site.url("/static/aurora")]
        assert aurora["outcome"] == "ingested"
        assert aurora["snapshot_id"]
        (done,) = events(app, "ingest.completed")
        assert (done["ingested"], done["refused"], done["trigger"]) == (1, 1, "api")
        records = await app.state.symphony.audit.query(type="ingest")
        assert records[0].payload["ingest_id"] == body["ingest_id"]

        found = (await client.get("/rag/search", params={"q": "solar wind auroral oval"})).json()
        assert found["passages"]
        assert found["passages"][0]["citation"]["url"] == site.url("/static/aurora")
        same = await client.post("/rag/query", json={"q": "solar wind auroral oval", "k": 2})
        assert same.json()["passages"][0]["document_id"] == aurora["document_id"]

        page = (await client.get("/rag/documents")).json()
        assert page["total"] == 1
        assert page["documents"][0]["id"] == aurora["document_id"]
        detail = (await client.get(f"/rag/documents/{aurora['document_id']}")).json()
        assert "charged particles" in detail["text"]
        assert detail["snapshot"]["verified"] is True
        assert detail["snapshot"]["signed"] is True
        missing = await client.get("/rag/documents/doc_nope")
        assert missing.status_code == 404
        assert "doc_nope" in missing.json()["error"]["message"]

        # Tamper with the stored snapshot: the document view names what was altered.
        db = Path(app.state.symphony.settings.data_dir) / "ingest" / "ingest.sqlite"
        with sqlite3.connect(db) as conn:
            (raw,) = conn.execute(
                "SELECT body FROM snapshots WHERE id = ?", (aurora["snapshot_id"],)
            ).fetchone()
            forged = raw.replace(site.url("/static/aurora").encode(), b"https://evil.example/")
            conn.execute(
                "UPDATE snapshots SET body = ? WHERE id = ?", (forged, aurora["snapshot_id"])
            )
        tampered = (await client.get(f"/rag/documents/{aurora['document_id']}")).json()
        assert tampered["snapshot"]["verified"] is False
        assert "url" in tampered["snapshot"]["altered"]


async def test_source_ingest_status_metrics_and_failures(tmp_path: Path, site: Site) -> None:
    async with web_app(settings_with(tmp_path, web_section(site)), site) as (app, client):
        status = (await client.get("/rag/status")).json()
        (nature,) = status["sources"]
        assert (nature["name"], nature["stale"], nature["newest_fetched_at"]) == (
            "nature", True, None,
        )  # fmt: skip
        assert status["documents"] == 0

        report = (await client.post("/ingest", json={"source": "nature"})).json()
        assert report["source"] == "nature"
        assert report["strategy"] == "scrape"
        assert report["summary"]["ingested"] == 2
        status = (await client.get("/rag/status")).json()
        assert status["sources"][0]["stale"] is False
        assert status["sources"][0]["age_s"] is not None
        assert status["warn"] is False
        fresh = events(app, "rag.index.freshness")[-1]
        assert fresh["stale_sources"] == []
        assert fresh["documents"] == 2
        metrics = (await client.get("/metrics")).text
        assert 'symphony_web_source_staleness_seconds{source="nature"}' in metrics
        assert 'rag_index_staleness_seconds{corpus="web"}' in metrics
        assert 'symphony_rag_index_staleness_seconds{index="web"}' in metrics
        assert 'symphony_ingest_urls_total{outcome="ingested",trigger="api"} 2.0' in metrics

        unknown = await client.post("/ingest", json={"source": "nope"})
        assert unknown.status_code == 404
        assert "unknown web source 'nope' (policy sources: nature)" in unknown.text
        both = await client.post("/ingest", json={"source": "nature", "urls": ["http://x/"]})
        assert both.status_code == 422

        refused = await client.post(
            "/ingest", json={"urls": [site.url("/private/hidden")], "strategy": "scrape"}
        )
        assert refused.json()["summary"]["refused"] == 1
        (failed,) = events(app, "ingest.failed")
        assert failed["reasons"] == ["robots_disallowed"]

        estimate = (await client.post("/rag/reindex", params={"dry_run": 1})).json()
        assert estimate["dry_run"] is True
        assert estimate["estimate"]["documents"] == 0  # nothing older than the staleness limit


async def test_scheduled_refresh_ingests_a_due_source(tmp_path: Path, site: Site) -> None:
    section = web_section(site).replace("strategy: scrape", "strategy: scrape\n      refresh: 1h")
    settings = settings_with(tmp_path, section)
    async with web_app(settings, site, SYMPHONY_WEB_REFRESH_CHECK_S="0.05") as (app, client):

        async def refreshed() -> bool:
            return any(e["trigger"] == "schedule" for e in events(app, "ingest.completed"))

        await poll_until(refreshed, "the scheduled refresh of source nature")
        status = (await client.get("/rag/status")).json()
        assert status["documents"] == 2
        assert status["sources"][0]["due"] is False  # fetched just now; next in 1h
        hits = dict(site.hits)
    # Not due again within the hour: the loop did not fetch the pages a second time.
    assert hits[("/static/aurora")] == 1


async def test_policy_reload_applies_web_changes(tmp_path: Path, site: Site) -> None:
    settings = settings_with(tmp_path, "")
    policy = Path(settings.policy_file)
    original = policy.read_text()
    async with web_app(settings, site) as (app, client):
        assert (await client.post("/ingest", json={"source": "nature"})).status_code == 404
        policy.write_text(original + web_section(site))
        assert (await client.post("/policy/reload")).status_code == 200
        report = (await client.post("/ingest", json={"source": "nature"})).json()
        assert report["summary"]["ingested"] == 2

        # A rule that would make a source unfetchable is refused with its reason ...
        policy.write_text(original + web_section(site, '  block_domains: ["127.0.0.1"]\n'))
        refused = await client.post("/policy/reload")
        assert refused.status_code == 422
        assert "web.sources[0].urls[0]: 127.0.0.1 is blocked" in refused.text
        # ... and one that does not applies to the next ingest.
        volcano = site.url("/static/volcano")
        policy.write_text(original + web_section(site, f'  tos_deny: ["{volcano}"]\n'))
        assert (await client.post("/policy/reload")).status_code == 200
        blocked = (
            await client.post(
                "/ingest", json={"urls": [site.url("/static/volcano")], "strategy": "scrape"}
            )
        ).json()
        assert blocked["items"][0]["reason"] == "tos_denied"

        policy.write_text(original + "web:\n  max_depth: 9\n")
        rejected = await client.post("/policy/reload")
        assert rejected.status_code == 422
        assert "web.max_depth: 9 is outside 0..5" in rejected.text
        assert app.state.symphony.policy.snapshot.web.tos_deny == (volcano,)


async def test_reindex_refetches_stale_documents_with_progress(tmp_path: Path, site: Site) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    settings = settings_with(tmp_path, web_section(site))
    env = environ(site, SYMPHONY_RAG_STALE_AFTER_S="3600")
    async with running_app(settings, clock=clock, environ=env) as (app, client):
        await client.post("/ingest", json={"source": "nature"})
        clock.advance(timedelta(hours=2))
        status = (await client.get("/rag/status")).json()
        assert (status["stale"], status["warn"], status["stale_documents"]) == (True, True, 2)
        estimate = (await client.post("/rag/reindex", params={"dry_run": 1})).json()
        assert estimate["estimate"]["documents"] == 2
        assert estimate["estimate"]["tokens"] > 0
        assert site.hits["/static/aurora"] == 1  # the estimate fetched nothing

        done = (await client.post("/rag/reindex")).json()
        assert done["dry_run"] is False
        assert (done["summary"]["documents"], done["summary"]["unchanged"]) == (2, 2)
        assert site.hits["/static/aurora"] == 2
        steps = events(app, "rag.reindex.progress")
        assert [(s["done"], s["total"]) for s in steps] == [(1, 2), (2, 2)]
        assert events(app, "ingest.completed")[-1]["trigger"] == "reindex"
        status = (await client.get("/rag/status")).json()
        assert (status["stale"], status["stale_documents"]) == (False, 0)


async def test_a_failing_scheduled_source_is_retried_later_not_every_check(
    tmp_path: Path, site: Site
) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    section = web_section(site).replace(
        '"{aurora}", "{glacier}"'.format(aurora=site.url("/static/aurora"),
                                          glacier=site.url("/static/glacier")),
        '"{hidden}"'.format(hidden=site.url("/private/hidden")),
    ).replace("strategy: scrape", "strategy: scrape\n      refresh: 1h")  # fmt: skip
    settings = settings_with(tmp_path, section)
    async with running_app(settings, clock=clock, environ=environ(site)) as (app, _client):
        web = app.state.symphony.web

        async def attempted() -> bool:
            return bool(events(app, "ingest.failed"))

        await poll_until(attempted, "the first scheduled attempt")  # at start: no document
        (failed,) = events(app, "ingest.failed")
        assert (failed["source"], failed["reasons"]) == ("nature", ["robots_disallowed"])
        assert await web.refresh_due() == []  # tried just now: not again on the next check
        clock.advance(timedelta(minutes=9))
        assert await web.refresh_due() == []
        clock.advance(timedelta(minutes=2))  # past the retry interval (10 min < refresh 1h)
        (again,) = await web.refresh_due()
        assert again.trigger == "schedule"
        assert again.counts()["refused"] == 1
