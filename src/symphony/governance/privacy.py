"""Wires the one Redactor into every exit: logs, SSE event payloads and audit payloads.

`Privacy` holds the current Redactor (rebuilt when the configured provider keys change) and
scrubs JSON-like payloads on the hot path: identifiers Symphony generated itself are left
alone (they hold no user data, and masking one would break correlation), and short
strings that repeat (model names, tenants, outcomes) are answered from a bounded cache.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from symphony.audit.log import AuditLog
from symphony.audit.records import AuditRecord
from symphony.audit.sink import AuditSink
from symphony.audit.verify import VerifyResult
from symphony.clock import Clock
from symphony.security.redact import RedactingFilter, Redactor

# Keys whose string values Symphony generates (ids, versions, hashes, instants).
SAFE_KEYS = frozenset(
    {
        "audit_id", "plan_id", "proposal_id", "key_id", "id", "type", "at", "created_at",
        "version", "policy_version", "base_version", "candidate_version", "kept_version",
        "hash", "prev_hash", "generated_at",
    }
)  # fmt: skip
LOGGERS_WITH_HANDLERS = ("", "symphony", "uvicorn", "uvicorn.error", "uvicorn.access")
_CACHE_MAX = 4096
_SCALARS = frozenset({int, float, bool})
_CACHE_MAX_LEN = 256


class Privacy:
    """The process's redactor, a cached scrubber for payloads, and the logging filter."""

    def __init__(self, secrets: Iterable[str] = (), *, log_max_len: int = 4096) -> None:
        self.redactor = Redactor(secrets)
        self.log_filter = RedactingFilter(self.redactor, max_len=log_max_len)
        self._cache: dict[str, str] = {}
        self._installed: list[logging.Handler] = []

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Mask these literal values from now on (e.g. after a policy reload)."""
        redactor = Redactor(secrets)
        self.redactor = redactor
        self.log_filter.redactor = redactor
        self._cache = {}

    def text(self, value: str) -> str:
        """Redact one string (cached when short)."""
        if len(value) > _CACHE_MAX_LEN:
            return self.redactor.redact(value)
        cache = self._cache
        hit = cache.get(value)
        if hit is None:
            hit = self.redactor.redact(value)
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[value] = hit
        return hit

    def scrub(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Return a redacted copy of a JSON-like payload (keys kept; SAFE_KEYS untouched)."""
        return cast(dict[str, Any], self._value(payload, None))

    def _value(self, value: Any, key: str | None) -> Any:
        if value is None or type(value) in _SCALARS:  # most payload values: nothing to mask
            return value
        if isinstance(value, str):
            return value if key in SAFE_KEYS else self.text(value)
        if isinstance(value, dict):
            return {k: self._value(v, k) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(v, key) for v in value]
        return value

    def install_logging(self) -> None:
        """Put the filter on every handler that exists now (root, symphony, uvicorn)."""
        for name in LOGGERS_WITH_HANDLERS:
            for handler in logging.getLogger(name).handlers:
                if self.log_filter not in handler.filters:
                    handler.addFilter(self.log_filter)
                    self._installed.append(handler)

    def uninstall_logging(self) -> None:
        for handler in self._installed:
            handler.removeFilter(self.log_filter)
        self._installed.clear()


class RedactingAuditLog:
    """An AuditSink whose payloads pass through `privacy.scrub` before the inner sink hashes
    them; everything else is the inner sink's."""

    def __init__(self, inner: AuditSink, privacy: Privacy) -> None:
        self.inner = inner
        self.privacy = privacy

    @classmethod
    def open_with(
        cls, data_dir: Path, clock: Clock, privacy: Privacy, **options: Any
    ) -> RedactingAuditLog:
        """`AuditLog.open` (same options) with payload scrubbing."""
        return cls(AuditLog.open(data_dir, clock, **options), privacy)

    @property
    def path(self) -> Path:
        return self.inner.path

    @property
    def failed_commits(self) -> int:
        return self.inner.failed_commits

    def new_id(self) -> str:
        return self.inner.new_id()

    async def append(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        actor: str | None = None,
        tenant: str | None = None,
        id: str | None = None,
    ) -> AuditRecord:
        """Scrub the payload, then append it to the inner sink."""
        return await self.inner.append(
            type, self._scrub(payload), actor=actor, tenant=tenant, id=id
        )

    def append_sync(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        actor: str | None = None,
        tenant: str | None = None,
        id: str | None = None,
    ) -> AuditRecord:
        """Scrub the payload, then append it to the inner sink (blocking)."""
        return self.inner.append_sync(type, self._scrub(payload), actor=actor, tenant=tenant, id=id)

    async def get(self, id: str) -> AuditRecord | None:
        return await self.inner.get(id)

    def get_sync(self, id: str) -> AuditRecord | None:
        return self.inner.get_sync(id)

    async def query(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        return await self.inner.query(
            since=since, type=type, tenant=tenant, before_seq=before_seq, limit=limit
        )

    def query_sync(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        return self.inner.query_sync(
            since=since, type=type, tenant=tenant, before_seq=before_seq, limit=limit
        )

    def head(self) -> tuple[int, str]:
        return self.inner.head()

    def verify(self) -> VerifyResult:
        return self.inner.verify()

    def close(self) -> None:
        self.inner.close()

    def _scrub(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.privacy.scrub(payload) if isinstance(payload, dict) else payload
