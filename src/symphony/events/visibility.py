"""Which events a tenant-bound subscriber may see (the tenant wall on `/events`).

A key bound to tenants sees the facts that name one of its tenants (plans, executions,
errors, jobs, budgets, upstream rate limits met by its work, tenant kills) and the few facts
every tenant shares: a new policy version, a model's window learned from an upstream, a
kill of a model, a provider or everything, an upstream's rate limit. Anything else is
denied by default, so a fact type added later stays behind the wall until it is listed here:
operator facts about the whole service (policy errors and proposals quote other tenants'
configuration; keys; Symphony's own per-key rate limits name keys; incidents, tickets,
notifications, ingest and index progress) never reach a tenant-bound key.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from symphony.events.facts import EventType

# Facts without a tenant that every tenant shares.
SHARED = frozenset({EventType.POLICY_UPDATE, EventType.WINDOW_UPDATE})
KILLS = frozenset({EventType.CONTROL_KILL, EventType.CONTROL_UNKILL})


def visible(type_: str, payload: dict[str, Any], tenants: Collection[str] | None) -> bool:
    """True when a subscriber walled into `tenants` (None: every tenant) may see the event."""
    if tenants is None:
        return True
    if type_ in KILLS:
        return payload.get("scope") != "tenant" or payload.get("target") in tenants
    tenant = payload.get("tenant")
    if tenant is not None:
        return tenant in tenants
    if type_ == EventType.RATE_LIMIT:  # an upstream's limit is shared; ours names keys
        return payload.get("scope") == "upstream"
    return type_ in SHARED


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
