"""Web ingest and retrieval: POST /ingest (operator), /rag/status|query|search|reindex,
/rag/documents (+ /{id} with its snapshot's signature check)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.errors import INVALID, SERVICE_WIDE, STORE_DOWN, problems
from symphony.api.contracts.web import (
    EXAMPLE_ITEM,
    DocumentDetail,
    DocumentPage,
    IngestResult,
    RagQueryResult,
    RagStatusBody,
    ReindexBody,
)
from symphony.api.deps import WebDep
from symphony.api.errors import json_response
from symphony.api.security import actor_of, require_service_wide, service_wide
from symphony.flows.web import WebFlow

router = APIRouter(tags=["web"])

CITATION = {"title": "Rate limits", "url": "https://docs.example.com/limits",
            "hash": "9b1c2d…", "fetched_at": "2026-12-01T12:00:00Z"}  # fmt: skip
DOCUMENT: dict[str, Any] = {
    "id": "doc_3f2a9c0d1e4b5a69", "url": "https://docs.example.com/limits",
    "final_url": "https://docs.example.com/limits", "title": "Rate limits", "sha256": "9b1c2d…",
    "fetched_at": "2026-12-01T12:00:00Z", "indexed_at": "2026-12-01T12:00:01Z",
    "strategy": "visit", "tokens": 812, "chars": 3245, "snapshot_id": "snap_0a1b2c3d4e5f6a7b8c9d",
}  # fmt: skip


class IngestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"urls": ["https://docs.example.com/limits"], "strategy": "visit"},
                {"source": "vendor-docs"},
            ]
        },
    )
    urls: list[str] | None = Field(None, min_length=1, max_length=100)
    source: str | None = Field(None, min_length=1, max_length=64, description="a policy source")
    strategy: Literal["visit", "scrape"] | None = Field(
        None, description="visit: Chromium (runs JavaScript); scrape: plain HTTP (default: "
        "the source's, else visit)"
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_target(self) -> IngestIn:
        if (self.urls is None) == (self.source is None):
            raise ValueError("give either `urls` (a list) or `source` (a policy source name)")
        if self.source is not None and self.strategy is not None:
            raise ValueError("`strategy` comes from the policy source; omit it with `source`")
        return self


class QueryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"q": "rate limits", "k": 5}]}
    )
    q: str = Field(..., min_length=1, max_length=2000)
    k: int | None = Field(None, ge=1, le=100)


INGEST_EXAMPLE = {
    "ingest_id": "ing_Qm9vYmFy", "trigger": "api", "source": None, "strategy": "visit",
    "seconds": 1.42, "summary": {"ingested": 1, "duplicate": 0, "refused": 0, "failed": 0},
    "items": [EXAMPLE_ITEM],
}  # fmt: skip


@router.post(
    "/ingest",
    summary="Fetch URLs (or a policy source) into the corpus under robots.txt, the SSRF guard "
    "and the policy's web rules; one outcome per URL (operator)",
    responses={
        **ok(IngestResult, INGEST_EXAMPLE),
        **problems(
            {403: SERVICE_WIDE, 404: "Unknown policy source", 422: INVALID, 503: STORE_DOWN}
        ),
    },
)
async def ingest(body: IngestIn, web: WebDep, request: Request) -> Response:
    service_wide(request)  # the corpus is shared: every tenant's web evidence comes from it
    actor = actor_of(request)
    if body.source is not None:
        report = await web.ingest_source(body.source, trigger="api", actor=actor)
    else:
        report = await web.ingest(
            body.urls or [], body.strategy or "visit", trigger="api", actor=actor
        )
    return json_response(report.to_dict())


STATUS_EXAMPLE = {
    "corpus": "web", "documents": 12, "chunks": 87, "tokens": 15230,
    "last_indexed_at": "2026-12-01T12:00:00Z", "staleness_seconds": 3600.0, "stale": False,
    "warn": False, "stale_after_s": 86400, "stale_documents": 0,
    "oldest_fetched_at": "2026-11-30T08:00:00Z",
    "sources": [{"name": "vendor-docs", "urls": ["https://docs.example.com/"],
                 "newest_fetched_at": "2026-12-01T12:00:00Z", "age_s": 3600.0,
                 "max_age_s": 604800.0, "refresh_s": 21600.0, "stale": False, "due": False}],
}  # fmt: skip


@router.get(
    "/rag/status",
    summary="Corpus size, last index, staleness (warn past the limit) and each policy source",
    responses={**ok(RagStatusBody, STATUS_EXAMPLE), **problems({503: STORE_DOWN})},
)
async def rag_status(web: WebDep) -> Response:
    status, sources = await web.freshness(publish=True)
    body = status.to_dict()
    body["warn"] = status.stale
    body["sources"] = [s.to_dict() for s in sources]
    return json_response(body)


QUERY_EXAMPLE = {
    "query": "rate limits", "k": 5,
    "passages": [{"text": "Requests are limited to 60 per minute…", "score": 7.42,
                  "document_id": "doc_3f2a9c0d1e4b5a69", "chunk": 0, "citation": CITATION}],
}  # fmt: skip


async def _query(web: WebFlow, q: str, k: int | None) -> Response:
    chosen = k or web.rag.settings.default_k
    passages = await web.rag.query(q, chosen)
    return json_response({"query": q, "k": chosen, "passages": [p.to_dict() for p in passages]})


@router.post(
    "/rag/query",
    summary="Ranked passages (bm25) for a query, each with its citation",
    responses={**ok(RagQueryResult, QUERY_EXAMPLE), **problems({422: INVALID, 503: STORE_DOWN})},
)
async def rag_query(body: QueryIn, web: WebDep) -> Response:
    return await _query(web, body.q, body.k)


@router.get(
    "/rag/search",
    summary="The same ranked passages as POST /rag/query, from query parameters",
    responses={**ok(RagQueryResult, QUERY_EXAMPLE), **problems({422: INVALID, 503: STORE_DOWN})},
)
async def rag_search(
    web: WebDep,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    return await _query(web, q, k)


REINDEX_EXAMPLE = {"dry_run": True, "estimate": {"documents": 3, "tokens": 4120, "seconds": 6.5,
                                                 "stale_after_s": 86400, "hosts": 2}}  # fmt: skip


@router.post(
    "/rag/reindex",
    summary="Re-fetch stale documents under every ingest rule; dry_run=1 only estimates "
    "(documents, tokens, seconds) from the stored corpus (operator)",
    responses={
        **ok(ReindexBody, REINDEX_EXAMPLE),
        **problems({403: SERVICE_WIDE, 422: INVALID, 503: STORE_DOWN}),
    },
)
async def rag_reindex(
    web: WebDep, request: Request, dry_run: Annotated[bool, Query()] = False
) -> Response:
    if dry_run:
        estimate = await web.rag.estimate_reindex()
        return json_response({"dry_run": True, "estimate": estimate.to_dict()})
    require_service_wide(request, "POST /rag/reindex (the shared corpus)")
    summary = await web.reindex(actor_of(request))
    return json_response({"dry_run": False, "summary": summary.to_dict()})


@router.get(
    "/rag/documents",
    summary="The corpus's documents, newest fetch first",
    responses={
        **ok(DocumentPage, {"documents": [DOCUMENT], "total": 1, "limit": 50, "offset": 0}),
        **problems({422: INVALID, 503: STORE_DOWN}),
    },
)
async def rag_documents(
    web: WebDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # SQLite INTEGER: larger is a 422
) -> Response:
    return json_response(await web.documents(limit, offset))


DETAIL_EXAMPLE = {
    **DOCUMENT, "text": "Requests are limited to 60 per minute…",
    "snapshot": {"id": "snap_0a1b2c3d4e5f6a7b8c9d", "found": True, "signed": True,
                 "verified": True, "key_id": "ed25519:3c9f…", "altered": [], "problems": []},
}  # fmt: skip


@router.get(
    "/rag/documents/{document_id}",
    summary="One document, its text, and its snapshot's signature verified now",
    responses={
        **ok(DocumentDetail, DETAIL_EXAMPLE),
        **problems({404: "No such document", 503: STORE_DOWN}),
    },
)
async def rag_document(document_id: str, web: WebDep) -> Response:
    return json_response(await web.document(document_id))
