"""Roles: one ordered hierarchy, and the permission table the API guards with."""

from __future__ import annotations

import pytest

from symphony.errors import ValidationFailed
from symphony.security.roles import PERMISSION_ROLE, ROLE_RANK, ROLES, can, parse_role, role_allows

# have -> the roles whose permissions it holds
EXPECTED = {
    "client": {"client"},
    "operator": {"client", "operator"},
    "approver": {"client", "operator", "approver"},
    "admin": {"client", "operator", "approver", "admin"},
}


def test_role_allows_is_an_ordered_hierarchy() -> None:
    assert ROLES == ("client", "operator", "approver", "admin")
    assert [ROLE_RANK[r] for r in ROLES] == [0, 1, 2, 3]
    for have in ROLES:
        for need in ROLES:
            assert role_allows(have, need) is (need in EXPECTED[have]), (have, need)


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("client", ["route.execute", "v1", "models.read"], ["control.kill", "audit.read"]),
        ("operator", ["policy.reload", "control.kill", "audit.read"], ["policy.approve"]),
        ("approver", ["policy.approve", "windows.observe"], ["keys.manage"]),
        ("admin", list(PERMISSION_ROLE), []),
    ],
)
def test_permissions_follow_the_hierarchy(role: str, allowed: list[str], denied: list[str]) -> None:
    have = parse_role(role)
    assert all(can(have, p) for p in allowed)  # type: ignore[arg-type]
    assert not any(can(have, p) for p in denied)  # type: ignore[arg-type]


def test_parse_role_names_the_choices() -> None:
    assert parse_role("approver") == "approver"
    with pytest.raises(ValidationFailed, match="client, operator, approver, admin"):
        parse_role("root")
