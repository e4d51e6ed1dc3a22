"""GET /audit and /audit/{id}: hash-chained audit records (audit/records.py `to_dict`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire


class AuditRecordOut(Wire):
    """One link of the chain: what happened, when, by whom, and the hashes binding it."""

    seq: int
    id: str
    type: str = Field(examples=["route.execute", "control.kill", "policy.change"])
    at: Instant
    actor: str | None
    tenant: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(Wire):
    items: list[AuditRecordOut] = Field(description="newest first")
    next_before_seq: int | None = Field(description="pass as before_seq for the next page")
