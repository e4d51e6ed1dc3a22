"""The kill switch as an action: check the target, persist, audit, announce."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from symphony.audit.sink import AuditSink
from symphony.errors import NotFoundError, ValidationFailed
from symphony.events.bus import EventBus
from symphony.events.facts import Killed, Unkilled
from symphony.governance.killswitch import Kill, KillSwitch
from symphony.policy.store import PolicyStore


def field_error(path: str, message: str) -> ValidationFailed:
    """A 422 naming one request field, in the same shape as request validation."""
    return ValidationFailed(
        f"{path}: {message}", detail={"fields": [{"path": path, "message": message}]}
    )


class ControlFlow:
    """Kill and unkill scopes; every change is durable, audited and published."""

    def __init__(
        self,
        killswitch: KillSwitch,
        policy: PolicyStore,
        audit: AuditSink,
        bus: EventBus,
        redact: Callable[[str], str],
    ) -> None:
        self.redact = redact  # reasons are operators' free text, shown in plans' deny reasons
        self.killswitch = killswitch
        self.policy = policy
        self.audit = audit
        self.bus = bus

    def active(self) -> list[Kill]:
        return self.killswitch.active()

    def check_target(self, scope: str, target: str | None) -> str | None:
        """Refuse targets the policy does not know (a typo must not silently kill nothing)."""
        if scope == "all":
            if target is not None:
                raise field_error("body.target", "must be omitted when scope is 'all'")
            return None
        if target is None:
            raise field_error("body.target", f"is required when scope is '{scope}'")
        snapshot = self.policy.snapshot
        known: set[str] = {
            "model": set(snapshot.models_by_name),
            "provider": {m.provider for m in snapshot.models},
            "tenant": set(snapshot.tenants),
        }[scope]
        if target not in known:
            raise field_error(
                "body.target", f"unknown {scope} '{target}' (known: {', '.join(sorted(known))})"
            )
        return target

    async def kill(self, scope: str, target: str | None, reason: str, actor: str | None) -> Kill:
        """Kill a scope now: plans deny it, its streams stop."""
        checked = self.check_target(scope, target)
        reason = self.redact(reason)
        done = await asyncio.to_thread(self.killswitch.kill, scope, checked, reason, actor)
        payload = done.to_dict()
        await self.audit.append("control.kill", payload, actor=actor, tenant=_tenant(payload))
        self.bus.emit(Killed(**payload))
        return done

    async def unkill(
        self, scope: str, target: str | None, reason: str | None, actor: str | None
    ) -> Kill:
        """Lift a kill; NotFoundError when none is active for that scope and target."""
        target = None if scope == "all" else target
        if scope != "all" and target is None:
            raise field_error("body.target", f"is required when scope is '{scope}'")
        lifted = await asyncio.to_thread(self.killswitch.unkill, scope, target)
        if lifted is None:
            what = "everything" if scope == "all" else f"{scope} '{target}'"
            raise NotFoundError(f"no active kill for {what}")
        fact = Unkilled(
            scope=lifted.scope,
            target=lifted.to_dict()["target"],
            reason=None if reason is None else self.redact(reason),
            actor=actor,
            kill=lifted.to_dict(),
        )
        payload = fact.payload()
        await self.audit.append("control.unkill", payload, actor=actor, tenant=_tenant(payload))
        self.bus.emit(fact)
        return lifted


def _tenant(payload: dict[str, Any]) -> str | None:
    return payload["target"] if payload["scope"] == "tenant" else None
