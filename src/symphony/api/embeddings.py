"""OpenAI-compatible embeddings: `POST /v1/embeddings`, routed to `kind: embedding` models.

Planned, retried, accounted (prompt tokens against the model's windows and price) and
audited like a chat call. OpenAI-protocol upstreams (OpenAI, Ollama's `/v1`) get the
client's own body; Gemini gets `embedContent` / `batchEmbedContents`. `encoding_format:
base64` is answered for every protocol (float32, little-endian), whatever the upstream sent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from symphony.api.contracts.base import content, request_body
from symphony.api.contracts.errors import STORE_DOWN, openai_problems
from symphony.api.contracts.openai import EmbeddingList
from symphony.api.deps import services_of
from symphony.api.errors import error_response, field_message
from symphony.api.openai_compat import openai_error
from symphony.api.security import actor_of, require_tenant
from symphony.api.v1_common import hints, param_of, resolve_model, v1_problem
from symphony.errors import SymphonyError
from symphony.execute.embedding import EmbedCall
from symphony.execute.request import ExecuteRequest
from symphony.kit.ids import new_id
from symphony.providers.embed import encode_base64
from symphony.providers.features import EMBEDDING_FIELDS
from symphony.routing.request import Overrides, PlanRequest

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
Item = Annotated[str, Field(min_length=1, max_length=200_000)]
TokenIds = Annotated[list[int], Field(min_length=1, max_length=100_000)]


class EmbeddingsIn(BaseModel):
    """OpenAI's embeddings request; `model` is a policy embedding model or `auto`."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(..., min_length=1, max_length=200)
    input: (
        Item
        | TokenIds
        | Annotated[list[Item], Field(min_length=1, max_length=2048)]
        | (Annotated[list[TokenIds], Field(min_length=1, max_length=2048)])
    )
    dimensions: int | None = Field(None, ge=1, le=65_536)
    encoding_format: Literal["float", "base64"] = "float"
    user: str | None = Field(None, max_length=256)

    def inputs(self) -> tuple[str | tuple[int, ...], ...]:
        """Every input as text or a tuple of token ids, in order."""
        raw: Any = self.input
        if isinstance(raw, str):
            return (raw,)
        if raw and isinstance(raw[0], int):
            return (tuple(raw),)
        return tuple(x if isinstance(x, str) else tuple(x) for x in raw)


@router.post(
    "/embeddings",
    summary="OpenAI-compatible embeddings, routed to the policy's `kind: embedding` models",
    responses={
        200: {
            "description": "One vector per input, in input order",
            "content": content(
                EmbeddingList,
                {
                    "object": "list",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.01, -0.02]}],
                    "model": "openai/text-embedding-3-small",
                    "usage": {"prompt_tokens": 4, "total_tokens": 4},
                },
            ),
        },
        **openai_problems(
            {
                400: "Invalid request: a field (named in `param`), a chat model, or a field"
                " no candidate's protocol can honour",
                403: "The key may not act for this tenant",
                404: "Unknown model or tenant",
                409: "No eligible embedding model (the reasons are listed)",
                502: "Every candidate failed",
                503: STORE_DOWN,
            }
        ),
    },
    openapi_extra={"requestBody": request_body(EmbeddingsIn)},
)
async def embeddings(request: Request) -> Response:
    services = services_of(request)
    try:
        raw = orjson.loads(await request.body())
        if not isinstance(raw, dict):
            return openai_error(400, "request body must be a JSON object", "invalid_request")
        body = EmbeddingsIn.model_validate(raw)
        hint = hints(request, None)
    except orjson.JSONDecodeError as exc:
        return openai_error(400, f"request body is not valid JSON: {exc}", "invalid_json")
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = param_of(problem["loc"])
        return openai_error(400, f"{where}: {field_message(problem)}", "invalid_request", where)
    except ValueError as exc:
        return openai_error(
            400, str(exc), "invalid_header", getattr(exc, "header", "x-symphony-loa")
        )
    try:
        require_tenant(request, hint.tenant)
    except SymphonyError as exc:
        return openai_error(exc.status, exc.message, exc.code, "x-symphony-tenant")
    pinned = None
    if body.model != "auto":
        spec = resolve_model(services.policy.snapshot, body.model, "embedding")
        if spec is None:
            known = services.policy.snapshot.model(body.model) is not None
            return openai_error(
                400 if known else 404,
                f"The model '{body.model}' is not an embedding model in Symphony's policy"
                " (use 'auto' or a `kind: embedding` model)",
                "model_not_supported" if known else "model_not_found",
                "model",
            )
        pinned = spec.name
    inputs = body.inputs()
    fields = [k for k in raw if k not in EMBEDDING_FIELDS]
    if any(isinstance(i, tuple) for i in inputs):
        fields.append("input_tokens")
    native = {k: v for k, v in raw.items() if k != "encoding_format"}
    audit_id = new_id("aud")
    req = ExecuteRequest(
        plan=PlanRequest(
            task=hint.task or "embedding",
            loa=hint.loa,
            tenant=hint.tenant,
            overrides=Overrides(),
            prompt_chars=sum(len(i) * (4 if isinstance(i, tuple) else 1) for i in inputs),
            pinned_model=pinned,
            enforce_task=hint.task is not None,
            kind="embedding",
            fields=tuple(fields),
            wire="openai",
        ),
        messages=(),
        stream=False,
        actor=actor_of(request),
        audit_id=audit_id,
        tags={"user": body.user} if body.user else None,
    )
    call = EmbedCall(inputs, body.dimensions, body.user, native)
    try:
        result, got = await services.executor.embed(req, call)
    except SymphonyError as exc:
        return error_response(v1_problem(exc, {"x-symphony-audit-id": audit_id}), router.prefix)
    as_base64 = body.encoding_format == "base64"
    data: list[dict[str, Any]] = [
        {
            "object": "embedding",
            "index": i,
            "embedding": encode_base64(v) if as_base64 else list(v),
        }
        for i, v in enumerate(got.vectors)
    ]
    tokens = result.audit.usage.prompt_tokens
    payload = {
        "object": "list",
        "data": data,
        "model": result.audit.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return Response(
        orjson.dumps(payload),
        media_type="application/json",
        headers={
            "x-symphony-audit-id": result.audit_id,
            "x-symphony-model": result.audit.model or "",
            "x-symphony-attempts": str(len(result.audit.attempts)),
        },
    )
