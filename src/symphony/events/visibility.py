"""Which events a tenant-bound subscriber may see (the tenant wall on `/events`).

A key bound to tenants sees the facts about its tenants (plans, executions, errors,
upstream rate limits, tenant-scoped window updates) and the facts every tenant shares
(a model's window learned from an upstream, a kill of a model, a provider or everything,
a new policy version). It never sees another tenant's facts, nor operator-only facts that
describe the whole service: policy files' errors and proposals (they quote other tenants'
configuration), key management, and Symphony's own per-key rate limits (they name keys).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from symphony.events.facts import EventType

# Facts about the whole service, for unbound (operator/admin) keys only.
OPERATOR_ONLY = frozenset(
    {
        EventType.POLICY_REJECTED,
        EventType.POLICY_PROPOSAL,
        EventType.KEY_CREATED,
        EventType.KEY_REVOKED,
        # incidents quote the whole service (artifacts, other tenants' models) and tickets
        # carry links into the operators' trackers
        EventType.INCIDENT_OPENED,
        EventType.INCIDENT_REOPENED,
        EventType.INCIDENT_ESCALATED,
        EventType.INCIDENT_RESOLVED,
        EventType.TICKET_CREATED,
        EventType.TICKET_UPDATED,
        EventType.TICKET_FAILED,
        EventType.NOTIFY_SENT,
        EventType.NOTIFY_FAILED,
    }
)
# Facts that always name the tenant they are about; without one they are hidden.
TENANT_FACTS = frozenset(
    {
        EventType.ROUTE_PLAN,
        EventType.ROUTE_EXECUTE,
        EventType.ERROR,
        EventType.JOB_QUEUED,
        EventType.JOB_STARTED,
        EventType.JOB_DONE,
        EventType.JOB_FAILED,
        EventType.JOB_CANCELLED,
        EventType.BUDGET_UPDATE,
    }
)
KILLS = frozenset({EventType.CONTROL_KILL, EventType.CONTROL_UNKILL})


def visible(type_: str, payload: dict[str, Any], tenants: Collection[str] | None) -> bool:
    """True when a subscriber walled into `tenants` (None: every tenant) may see the event."""
    if tenants is None:
        return True
    if type_ in OPERATOR_ONLY:
        return False
    if type_ in KILLS:
        return payload.get("scope") != "tenant" or payload.get("target") in tenants
    tenant = payload.get("tenant")
    if tenant is not None:
        return tenant in tenants
    if type_ in TENANT_FACTS:
        return False
    if type_ == EventType.RATE_LIMIT:  # Symphony's own limiter names keys and paths
        return payload.get("scope") not in ("key", "ip")
    return True  # shared facts: policy versions, a model's learned window


def accept_for(
    types: Collection[str] | None, tenants: Collection[str] | None
) -> Callable[[Any], bool] | None:
    """The subscription filter for event `types` (None: all) and a tenant wall."""
    if types is None and tenants is None:
        return None
    wanted = None if types is None else frozenset(types)

    def accept(event: Any) -> bool:
        if wanted is not None and event.type not in wanted:
            return False
        return visible(event.type, event.payload, tenants)

    return accept
