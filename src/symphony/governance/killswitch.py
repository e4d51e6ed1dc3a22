"""The kill switch ("Enforce LOA/Kill"): deny a scope at once, cancel its streams, persist.

Scopes: `all`, `tenant`, `provider`, `model`, each with a target (none for `all`). Kills
live in memory for the planner's check (a dict lookup; nothing at all when no kill is on)
and in one document of the store's Documents seam, written (compare-and-set) before a
change takes effect, so they survive a restart and a change made by another process is
never written over. The embedded default is data_dir/killswitch.json, as it has always
been; `refresh_if_changed()` picks up a change another process made. The executor calls
the same check between streamed deltas, which is how a kill cancels streams in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

from symphony.clock import Clock
from symphony.errors import BackendUnavailable, StoreError, ValidationFailed
from symphony.policy.model import ModelSpec
from symphony.store.documents import CasConflict, Doc, Documents
from symphony.store.json_files import JsonFiles

KillScope = Literal["all", "tenant", "provider", "model"]
KILL_SCOPES: tuple[KillScope, ...] = get_args(KillScope)
KILLS_KEY = "killswitch"  # the document; data_dir/killswitch.json in the file backend
KILLS_FILE = KILLS_KEY + ".json"
_RETRIES = 5

Kills = dict[tuple[str, str], "Kill"]


@dataclass(frozen=True, slots=True)
class Kill:
    """One active kill: what, why, by whom and when."""

    scope: KillScope
    target: str
    reason: str
    actor: str | None
    at: datetime

    @property
    def label(self) -> str:
        return "everything" if self.scope == "all" else f"{self.scope} '{self.target}'"

    def describe(self) -> str:
        """The planner's deny detail, e.g. "provider 'anthropic' killed by ops at …: reason"."""
        who = f" by {self.actor}" if self.actor else ""
        return f"{self.label} killed{who} at {self.at.isoformat()}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "target": self.target if self.scope != "all" else None,
            "reason": self.reason,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


def _key(scope: str, target: str | None) -> tuple[str, str]:
    return (scope, "" if scope == "all" else (target or ""))


class KillSwitch:
    """Active kills keyed by (scope, target); `check` is the planner's `killed` hook."""

    def __init__(self, docs: Documents, clock: Clock, *, key: str = KILLS_KEY) -> None:
        self._docs = docs
        self._key = key
        self.where = f"{docs.where} ({key})"
        self._clock = clock
        self._kills: Kills = {}
        self._reasons: dict[tuple[str, str], str] = {}
        self._version: str | None = None
        self._revision: int | None = None
        self._lock = threading.Lock()  # kill/unkill may run in worker threads
        self._load()

    @classmethod
    def open(cls, data_dir: Path, clock: Clock) -> KillSwitch:
        """Load (or start empty) data_dir/killswitch.json, the embedded default."""
        return cls(JsonFiles(data_dir), clock)

    def active(self) -> list[Kill]:
        """Every active kill, oldest first."""
        return sorted(self._kills.values(), key=lambda k: (k.at, k.scope, k.target))

    def get(self, scope: str, target: str | None) -> Kill | None:
        return self._kills.get(_key(scope, target))

    def check(self, spec: ModelSpec, tenant: str) -> str | None:
        """Return why `spec` is killed for `tenant`, or None (the hot path: dict lookups)."""
        if not self._reasons:
            return None
        reasons = self._reasons
        return (
            reasons.get(("all", ""))
            or reasons.get(("model", spec.name))
            or reasons.get(("provider", spec.provider))
            or reasons.get(("tenant", tenant))
        )

    def kill(self, scope: str, target: str | None, reason: str, actor: str | None) -> Kill:
        """Activate (or re-state) a kill; durable before it takes effect."""
        checked = _check_scope(scope, target)
        kill = Kill(checked, _key(checked, target)[1], reason, actor, self._clock.now())
        self._change(lambda kills: {**kills, _key(scope, target): kill})
        return kill

    def unkill(self, scope: str, target: str | None) -> Kill | None:
        """Lift a kill; return it, or None when it was not active."""
        _check_scope(scope, target)
        key = _key(scope, target)
        lifted: list[Kill] = []

        def lift(kills: Kills) -> Kills | None:
            lifted[:] = [kills[key]] if key in kills else []
            return {k: v for k, v in kills.items() if k != key} if lifted else None

        self._change(lift)
        return lifted[0] if lifted else None

    def refresh_if_changed(self) -> bool:
        """Reload when another process changed the kills since we last looked."""
        if self._docs.revision() == self._revision:
            return False
        with self._lock:
            self._load()
        return True

    def _change(self, edit: Callable[[Kills], Kills | None]) -> None:
        """Apply `edit` (current kills -> new kills, None for no change) by compare-and-set,
        re-reading and re-applying when another process changed the kills meanwhile."""
        with self._lock:
            for _ in range(_RETRIES):
                kills = edit(self._kills)
                if kills is None:
                    return
                body = {"kills": [k.to_dict() for k in kills.values()]}
                try:
                    doc = self._docs.cas_sync(self._key, body, expected=self._version)
                except CasConflict as conflict:
                    self._apply(conflict.current)
                    continue
                self._version = doc.version
                self._swap(kills)
                return
            raise StoreError(f"kill switch state {self.where} kept changing; try again")

    def _swap(self, kills: Kills) -> None:
        # Two fresh dicts, assigned whole: a reader never sees a half-applied change.
        self._kills = kills
        self._reasons = {key: kill.describe() for key, kill in kills.items()}

    def _load(self) -> None:
        self._revision = self._docs.revision()
        try:
            doc = self._docs.get_sync(self._key)
        except BackendUnavailable:
            raise  # unreachable, not corrupt: the message names the backend
        except StoreError as exc:
            # Refuse to start "open" when the state says something is killed but is unreadable.
            raise StoreError(
                f"kill switch state {self.where} is corrupt ({exc.message}); fix or remove it"
            ) from exc
        self._apply(doc)

    def _apply(self, doc: Doc | None) -> None:
        if doc is None:
            self._version = None
            self._swap({})
            return
        try:
            kills = {
                _key(item["scope"], item["target"]): Kill(
                    _check_scope(item["scope"], item["target"]),
                    _key(item["scope"], item["target"])[1],
                    str(item["reason"]),
                    item.get("actor"),
                    datetime.fromisoformat(item["at"]),
                )
                for item in doc.value["kills"]
            }
        except (KeyError, TypeError, ValueError, ValidationFailed) as exc:
            raise StoreError(
                f"kill switch state {self.where} is corrupt ({exc}); fix or remove it"
            ) from exc
        self._version = doc.version
        self._swap(kills)


def _check_scope(scope: str, target: str | None) -> KillScope:
    for known in KILL_SCOPES:
        if scope == known:
            if known != "all" and not target:
                raise ValidationFailed(f"scope '{known}' needs a target")
            return known
    raise ValidationFailed(
        f"unknown kill scope {scope!r}; expected one of {', '.join(KILL_SCOPES)}"
    )
