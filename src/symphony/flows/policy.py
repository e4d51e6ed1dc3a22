"""Policy changes: a reload (file watcher or API) and an applied change, audited together.

`PolicyFacts` is what happens once a snapshot serves (or is refused): the version gauge,
the `policy.update`/`policy.rejected` event, the audit record and the redactor's provider
key values. Governance applies approved snapshots through the same `applied`, so a change
is recorded the same way whoever applied it.
"""

from __future__ import annotations

import asyncio
import logging

from symphony.audit.sink import AuditSink
from symphony.errors import PolicyError
from symphony.events.bus import EventBus
from symphony.events.facts import PolicyRejected, PolicyUpdated
from symphony.governance.governance import Governance, current_actor
from symphony.governance.policy_diff import diff_snapshots
from symphony.governance.privacy import Privacy
from symphony.metrics.registry import Metrics
from symphony.policy.model import PolicySnapshot
from symphony.policy.store import PolicyStore, ReloadResult
from symphony.providers.credentials import Credentials
from symphony.windows.calendar import local_iso

log = logging.getLogger("symphony")
MAX_DIFF_LINES = 200
MAX_ERRORS = 50
LOAD_TIME_LIMIT_S = 10.0  # a bounded parse of a 1 MB file takes well under a second


class PolicyFacts:
    """Records the outcome of a policy change: metrics, event, audit, secrets to mask."""

    def __init__(
        self,
        policy: PolicyStore,
        audit: AuditSink,
        bus: EventBus,
        metrics: Metrics,
        credentials: Credentials,
        privacy: Privacy,
    ) -> None:
        self.policy = policy
        self.audit = audit
        self.bus = bus
        self.metrics = metrics
        self.credentials = credentials
        self.privacy = privacy

    def refresh_secrets(self) -> None:
        """Mask every configured provider key value (the policy names their env vars)."""
        self.credentials.refresh()
        self.privacy.set_secrets(self.credentials.all_values(list(self.policy.snapshot.models)))

    def applied(
        self, before: PolicySnapshot, after: PolicySnapshot, trigger: str, actor: str | None
    ) -> None:
        """A new snapshot serves: count it, announce it, audit its diff (durably, now)."""
        self.metrics.set_policy_version(after.version)
        self.bus.emit(PolicyUpdated(trigger=trigger, version=after.version))
        log.info("policy %s applied (%s)", after.version, trigger)
        self.refresh_secrets()
        diff = [str(line) for line in diff_snapshots(before, after)]
        payload = {
            "trigger": trigger,
            "from": before.version,
            "to": after.version,
            "diff": diff[:MAX_DIFF_LINES],
            "diff_lines": len(diff),
        }
        self.audit.append_sync("policy.change", payload, actor=actor or trigger)

    def rejected(self, result: ReloadResult, trigger: str, actor: str | None) -> None:
        """A change was refused: the last good policy keeps serving; say why everywhere."""
        self.metrics.policy_reload.labels("rejected").inc()
        errors = list(result.errors)
        self.bus.emit(PolicyRejected(trigger=trigger, errors=errors, kept_version=result.version))
        log.warning("policy change rejected; keeping %s: %s", result.version, "; ".join(errors))
        self.audit.append_sync(
            "policy.reject",
            {"trigger": trigger, "kept_version": result.version, "errors": errors[:MAX_ERRORS]},
            actor=actor or trigger,
        )


class PolicyFlow:
    """Re-read the policy files (watcher or `POST /policy/reload`) through governance."""

    def __init__(self, policy: PolicyStore, governance: Governance, facts: PolicyFacts) -> None:
        self.policy = policy
        self.governance = governance
        self.facts = facts

    def reload(self, trigger: str) -> ReloadResult:
        """Reload now, on this thread (tests, CLI); the service uses `areload`."""
        before = self.policy.snapshot
        return self._conclude(before, self.policy.reload(gate=self.governance.gate), trigger)

    async def areload(self, trigger: str, time_limit_s: float = LOAD_TIME_LIMIT_S) -> ReloadResult:
        """Reload without blocking the event loop: the files are parsed and validated on a
        worker thread (bounded by the YAML limits) and refused if that takes longer than
        `time_limit_s`; the last good policy serves meanwhile and after a refusal."""
        before = self.policy.snapshot
        try:
            candidate = await asyncio.wait_for(
                asyncio.to_thread(self.policy.read_candidate), time_limit_s
            )
        except PolicyError as exc:
            result = self.policy.refuse(exc.errors)
        except TimeoutError:
            result = self.policy.refuse(
                [
                    f"{self.policy.policy_file}: parsing and validating took longer than "
                    f"{time_limit_s:g} s (limit: load time {time_limit_s:g} s); refusing it"
                ]
            )
        else:
            result = self.policy.offer(candidate, gate=self.governance.gate)
        return self._conclude(before, result, trigger)

    def _conclude(self, before: PolicySnapshot, result: ReloadResult, trigger: str) -> ReloadResult:
        caller = current_actor.get()
        actor = caller[0] if caller else None
        if not result.ok:
            self.facts.rejected(result, trigger, actor)
            return result
        self.facts.metrics.policy_reload.labels("ok").inc()
        if result.changed:
            self.facts.applied(before, self.policy.snapshot, trigger, actor)
        elif not result.errors:
            self.governance.files_match_active()
        return result


def policy_status(store: PolicyStore) -> dict[str, object]:
    """The loaded policy's version, files and last reload error (GET /policy, MCP)."""
    snap = store.snapshot
    tz = snap.defaults.timezone
    return {
        "version": snap.version,
        "declared_version": snap.declared_version,
        "loaded_at": None
        if store.loaded_at is None
        else store.loaded_at.isoformat().replace("+00:00", "Z"),
        "loaded_at_local": local_iso(store.loaded_at, tz),
        "timezone": tz,
        "files": list(snap.files),
        "models": len(snap.models),
        "tenants": sorted(snap.tenants),
        "last_error": None if store.last_error is None else list(store.last_error),
        "last_error_at": None if store.last_error_at is None else store.last_error_at.isoformat(),
    }
