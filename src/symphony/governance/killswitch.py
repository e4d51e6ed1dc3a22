"""The kill switch ("Enforce LOA/Kill"): deny a scope at once, cancel its streams, persist.

Scopes: `all`, `tenant`, `provider`, `model`, each with a target (none for `all`). Kills
live in memory for the planner's check (a dict lookup; nothing at all when no kill is on)
and in data_dir/killswitch.json, written atomically before a change takes effect, so they
survive a restart. The executor calls the same check between streamed deltas, which is
how a kill cancels streams already in flight.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

import orjson

from symphony.clock import Clock
from symphony.errors import StoreError, ValidationFailed
from symphony.policy.model import ModelSpec

KillScope = Literal["all", "tenant", "provider", "model"]
KILL_SCOPES: tuple[KillScope, ...] = get_args(KillScope)
KILLS_FILE = "killswitch.json"


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

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        self._kills: dict[tuple[str, str], Kill] = {}
        self._reasons: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()  # kill/unkill may run in worker threads
        self._load()

    @classmethod
    def open(cls, data_dir: Path, clock: Clock) -> KillSwitch:
        """Load (or start empty) data_dir/killswitch.json."""
        return cls(data_dir / KILLS_FILE, clock)

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
        with self._lock:
            kills = {**self._kills, _key(scope, target): kill}
            self._save(kills)
            self._swap(kills)
        return kill

    def unkill(self, scope: str, target: str | None) -> Kill | None:
        """Lift a kill; return it, or None when it was not active."""
        _check_scope(scope, target)
        key = _key(scope, target)
        with self._lock:
            lifted = self._kills.get(key)
            if lifted is None:
                return None
            kills = {k: v for k, v in self._kills.items() if k != key}
            self._save(kills)
            self._swap(kills)
        return lifted

    def _swap(self, kills: dict[tuple[str, str], Kill]) -> None:
        # Two fresh dicts, assigned whole: a reader never sees a half-applied change.
        self._kills = kills
        self._reasons = {key: kill.describe() for key, kill in kills.items()}

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot read kill switch state {self.path}: {exc}") from exc
        try:
            items = orjson.loads(raw)["kills"]
            kills = {
                _key(item["scope"], item["target"]): Kill(
                    _check_scope(item["scope"], item["target"]),
                    _key(item["scope"], item["target"])[1],
                    str(item["reason"]),
                    item.get("actor"),
                    datetime.fromisoformat(item["at"]),
                )
                for item in items
            }
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, ValidationFailed) as exc:
            # Refuse to start "open" when the file says something is killed but is unreadable.
            raise StoreError(
                f"kill switch state {self.path} is corrupt ({exc}); fix or remove it"
            ) from exc
        self._swap(kills)

    def _save(self, kills: dict[tuple[str, str], Kill]) -> None:
        body = orjson.dumps(
            {"kills": [k.to_dict() for k in kills.values()]}, option=orjson.OPT_INDENT_2
        )
        try:
            atomic_write(self.path, body)
        except OSError as exc:
            raise StoreError(f"cannot save kill switch state {self.path}: {exc}") from exc


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a synced temp file and a rename (all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _check_scope(scope: str, target: str | None) -> KillScope:
    for known in KILL_SCOPES:
        if scope == known:
            if known != "all" and not target:
                raise ValidationFailed(f"scope '{known}' needs a target")
            return known
    raise ValidationFailed(
        f"unknown kill scope {scope!r}; expected one of {', '.join(KILL_SCOPES)}"
    )
