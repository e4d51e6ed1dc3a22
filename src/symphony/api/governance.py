"""Policy proposals (two-person approval): list, show, approve."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.errors import INVALID, STORE_DOWN, TENANT, problems
from symphony.api.contracts.policy import Approved, Proposal, Proposals
from symphony.api.deps import GovernanceDep
from symphony.api.errors import json_response
from symphony.api.security import api_key_of, require_unbound
from symphony.errors import ForbiddenError
from symphony.governance.governance import APPROVALS_NEEDED

router = APIRouter(tags=["policy"])

PROPOSAL_EXAMPLE: dict[str, Any] = {
    "id": "prop_Zm9vYmFyYmF6", "seq": 1, "status": "pending",
    "created_at": "2026-11-22T17:00:00+00:00",
    "proposer": "ops-oncall", "trigger": "api", "base_version": "f8ef309224ee3aea",
    "candidate_version": "0b1d2c3e4f5a6b7c", "approvals": [], "approvals_needed": APPROVALS_NEEDED,
    "diff": ["policy.models[anthropic/claude-pro].quota.cap: 45 → 60"],
    "governed": ["policy.models[anthropic/claude-pro].quota.cap: 45 → 60"],
    "closed_at": None, "note": None,
}  # fmt: skip


@router.get(
    "/policy/proposals",
    summary="Policy changes held for two-person approval (production mode), newest first",
    responses={
        **ok(Proposals, {"mode": "production", "items": [PROPOSAL_EXAMPLE]}),
        **problems({403: TENANT, 422: INVALID}),
    },
)
async def list_proposals(
    gov: GovernanceDep,
    request: Request,
    status: Literal["pending", "applied", "superseded"] | None = Query(None),
) -> Response:
    require_unbound(request, "reading policy proposals")
    items = [p.to_dict() for p in gov.list(status)]
    return json_response({"mode": gov.mode, "items": items})


@router.get(
    "/policy/proposals/{proposal_id}",
    summary="One policy proposal with its diff",
    responses={
        **ok(Proposal, PROPOSAL_EXAMPLE),
        **problems({403: TENANT, 404: "No such proposal"}),
    },
)
async def get_proposal(proposal_id: str, gov: GovernanceDep, request: Request) -> Response:
    require_unbound(request, "reading a policy proposal")
    return json_response(gov.get(proposal_id[:64]).to_dict())


@router.post(
    "/policy/proposals/{proposal_id}/approve",
    summary="Approve a proposal (approver; two distinct keys, neither the proposer, apply it)",
    responses={
        **ok(Approved, {"applied": False, "proposal": PROPOSAL_EXAMPLE}),
        **problems(
            {
                403: (
                    "The proposer cannot approve; approvals need an API key not bound to tenants"
                ),
                404: "No such proposal",
                409: "Not pending, already approved by this key, or policy moved on",
                503: STORE_DOWN,
            }
        ),
    },
)
async def approve(proposal_id: str, gov: GovernanceDep, request: Request) -> Response:
    key = api_key_of(request)
    if key is None:
        raise ForbiddenError(
            "approvals need an API key (two distinct keys approve); authentication is off"
        )
    require_unbound(request, "approving a policy change")
    proposal = await gov.approve(proposal_id[:64], key)
    return json_response({"applied": proposal.status == "applied", "proposal": proposal.to_dict()})
