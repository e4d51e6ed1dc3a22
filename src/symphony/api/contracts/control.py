"""The kill switch: GET /control, POST /control/kill and /control/unkill."""

from __future__ import annotations

from typing import Literal

from symphony.api.contracts.base import Instant, Wire


class KillState(Wire):
    """One active kill: plans deny what it covers (`killed`), its streams stop."""

    scope: Literal["all", "tenant", "provider", "model"]
    target: str | None
    reason: str
    actor: str | None
    at: Instant


class ActiveKills(Wire):
    active: list[KillState]


class Killed(Wire):
    kill: KillState
    active: list[KillState]


class Unkilled(Wire):
    unkilled: KillState
    active: list[KillState]
