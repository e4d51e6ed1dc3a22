"""Holds the current snapshot; swaps it atomically; a bad file never replaces a good one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from symphony.clock import Clock
from symphony.errors import PolicyError
from symphony.policy.loader import load_policy_files
from symphony.policy.model import PolicySnapshot

Gate = Callable[[PolicySnapshot, PolicySnapshot], bool]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    version: str
    changed: bool
    errors: tuple[str, ...] = ()


class PolicyStore:
    def __init__(
        self,
        policy_file: Path,
        windows_file: Path | None,
        clock: Clock,
        transform: Callable[[PolicySnapshot], PolicySnapshot] | None = None,
    ) -> None:
        self.policy_file = policy_file
        self.windows_file = windows_file
        self.clock = clock
        self.transform = transform
        self._snapshot: PolicySnapshot | None = None
        self.loaded_at: datetime | None = None
        self.last_error: tuple[str, ...] | None = None
        self.last_error_at: datetime | None = None

    @property
    def snapshot(self) -> PolicySnapshot:
        if self._snapshot is None:
            raise PolicyError(["policy not loaded"])
        return self._snapshot

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None

    def _read(self) -> PolicySnapshot:
        snap = load_policy_files(self.policy_file, self.windows_file)
        return self.transform(snap) if self.transform else snap

    def read_candidate(self) -> PolicySnapshot:
        """Read and validate the files (pure, thread-safe: nothing is applied); raise
        PolicyError. The async reload runs this on a worker thread under a time limit."""
        return self._read()

    def load_initial(self) -> PolicySnapshot:
        """Start-up load: an invalid policy here is fatal (raise PolicyError)."""
        self._snapshot = self._read()
        self.loaded_at = self.clock.now()
        return self._snapshot

    def reload(self, gate: Gate | None = None) -> ReloadResult:
        """Re-read the files; keep the last good snapshot when they are invalid.

        `gate(current, candidate)` decides whether a valid candidate may replace the current
        snapshot now (governance: False holds it for approval)."""
        try:
            candidate = self._read()
        except PolicyError as exc:
            return self.refuse(exc.errors)
        return self.offer(candidate, gate)

    def refuse(self, errors: list[str]) -> ReloadResult:
        """The files were refused: keep the last good snapshot, remember why."""
        self.last_error = tuple(errors)
        self.last_error_at = self.clock.now()
        return ReloadResult(False, self.snapshot.version, False, tuple(errors))

    def offer(self, candidate: PolicySnapshot, gate: Gate | None = None) -> ReloadResult:
        """A valid candidate: apply it unless unchanged or held by `gate`."""
        current = self._snapshot
        if current is not None and candidate.version == current.version:
            self.last_error = None
            return ReloadResult(True, current.version, False)
        if current is not None and gate is not None and not gate(current, candidate):
            return ReloadResult(True, current.version, False, ("held for approval",))
        self.apply(candidate)
        return ReloadResult(True, candidate.version, True)

    def apply(self, snapshot: PolicySnapshot) -> None:
        self._snapshot = snapshot
        self.loaded_at = self.clock.now()
        self.last_error = None
