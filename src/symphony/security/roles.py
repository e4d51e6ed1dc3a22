"""Roles form one ordered hierarchy: each role can do everything the roles below it can.

- client:   plan, execute, the OpenAI-compatible /v1, models, status
- operator: client + policy reload, window observations, kill switch, integrations, audit read
- approver: operator + approving policy proposals
- admin:    everything, including API keys
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

from symphony.errors import ValidationFailed

Role = Literal["client", "operator", "approver", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLE_RANK: Mapping[Role, int] = MappingProxyType({role: rank for rank, role in enumerate(ROLES)})

Permission = Literal[
    "route.plan",
    "route.execute",
    "v1",
    "mcp",
    "models.read",
    "status.read",
    "incidents.read",
    "policy.reload",
    "windows.observe",
    "control.kill",
    "integrations.manage",
    "audit.read",
    "policy.propose",
    "policy.approve",
    "keys.manage",
    "rag.read",
    "web.ingest",
]

# The least role that holds each permission; the API guards endpoints with these.
PERMISSION_ROLE: Mapping[Permission, Role] = MappingProxyType(
    {
        "route.plan": "client",
        "route.execute": "client",
        "v1": "client",
        "mcp": "client",  # connect to /mcp/; each MCP tool needs its REST twin's permission
        "models.read": "client",
        "status.read": "client",
        "incidents.read": "client",  # GET /incidents, /incidents/{id}; the MCP incidents tool
        "policy.reload": "operator",
        "windows.observe": "operator",
        "control.kill": "operator",
        "integrations.manage": "operator",
        "audit.read": "operator",
        "policy.propose": "operator",
        "policy.approve": "approver",
        "keys.manage": "admin",
        "rag.read": "client",  # query the corpus, read documents and their snapshots' checks
        "web.ingest": "operator",  # fetch the web into the corpus (POST /ingest, /rag/reindex)
    }
)


def role_allows(have: Role, need: Role) -> bool:
    """Return True when a key with role `have` may do what needs role `need`."""
    return ROLE_RANK[have] >= ROLE_RANK[need]


def can(have: Role, permission: Permission) -> bool:
    """Return True when role `have` holds `permission`."""
    return role_allows(have, PERMISSION_ROLE[permission])


def parse_role(text: str) -> Role:
    """Turn user text (CLI flag, stored column) into a Role, or explain what is allowed."""
    for role in ROLES:
        if text == role:
            return role
    raise ValidationFailed(f"unknown role {text!r}; expected one of {', '.join(ROLES)}")
