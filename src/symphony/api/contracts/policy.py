"""GET /policy, POST /policy/reload and the two-person approval proposals."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire


class PolicyStatus(Wire):
    version: str = Field(description="content hash of the loaded policy")
    declared_version: str | None
    loaded_at: Instant | None
    loaded_at_local: Instant | None = Field(
        description="loaded_at in the policy's timezone (as windows' resets_at_local)"
    )
    timezone: str = Field(description="the policy's timezone (defaults.timezone), IANA name")
    files: list[str]
    models: int
    tenants: list[str]
    last_error: list[str] | None = Field(description="the last rejected reload's errors")
    last_error_at: Instant | None


class ReloadOutcome(Wire):
    """The reload's result; 422 when the files are invalid (the old policy keeps serving)."""

    ok: bool
    changed: bool
    version: str
    errors: list[str] = Field(description="file:line: path: problem, or 'held for approval'")


class Approval(Wire):
    actor: str
    key_id: str
    at: Instant


class Proposal(Wire):
    """A policy change held for two approvals from two keys, neither the proposer."""

    id: str
    seq: int
    status: Literal["pending", "applied", "superseded"]
    created_at: Instant
    proposer: str
    trigger: str
    base_version: str
    candidate_version: str
    approvals: list[Approval]
    approvals_needed: int
    diff: list[str]
    governed: list[str] = Field(description="the diff lines that need approval")
    closed_at: Instant | None
    note: str | None


class Proposals(Wire):
    mode: Literal["production", "development"]
    items: list[Proposal]


class Approved(Wire):
    applied: bool = Field(description="true when this approval was the last one needed")
    proposal: Proposal


RELOADED = {"ok": True, "changed": True, "version": "0b1d2c3e4f5a6b7c", "errors": []}
REJECTED = {
    "ok": False,
    "changed": False,
    "version": "f8ef309224ee3aea",
    "errors": ["router.policy.yml:12: policy.models[0].quota.cap: must be >= 0"],
}
