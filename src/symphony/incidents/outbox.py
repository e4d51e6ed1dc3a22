"""The durable outbox: every outbound ticket and notify action is a row in SQLite before it
is attempted, and is retried with exponential backoff (honouring Retry-After and pausing
the vendor) until it is done, fails for good, or runs out of attempts.

Exactly once: an entry's `idem_key` is unique (enqueueing twice is a no-op), its result is
committed together with the incident it belongs to, and every create carries a marker the
vendor service looks for before creating, so an attempt whose answer was lost (a timeout,
a crash, a restart between the vendor's reply and our commit) is found, not repeated.
Entries that need others' results (a Jira remote link needs the GitHub issue URL) wait for
them, and are cancelled if one of them failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symphony.clock import Clock
from symphony.incidents.actions import ActionRunner
from symphony.incidents.book import IncidentBook, Settlement
from symphony.incidents.model import OutboxEntry
from symphony.incidents.store import IncidentStore
from symphony.integrations.base import IntegrationError
from symphony.metrics.slo import SloMetrics
from symphony.store.sqlite import Statement

log = logging.getLogger(__name__)

FactSink = Callable[[str, Mapping[str, Any]], None]
NOTIFY_ACTIONS = ("post", "trigger", "resolve")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_s: float = 2.0
    factor: float = 2.0
    cap_s: float = 900.0
    max_attempts: int = 16  # about 2.5 hours of trying with the defaults

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1` (attempts >= 1)."""
        return float(min(self.cap_s, self.base_s * self.factor ** max(0, attempts - 1)))


def _fact_type(entry: OutboxEntry, ok: bool) -> str:
    if entry.action in NOTIFY_ACTIONS:
        return "notify.sent" if ok else "notify.failed"
    if ok:
        return "ticket.created" if entry.action == "create" else "ticket.updated"
    return "ticket.failed"


class Outbox:
    def __init__(
        self,
        store: IncidentStore,
        book: IncidentBook,
        runner: ActionRunner,
        clock: Clock,
        metrics: SloMetrics,
        on_fact: FactSink,
        retry: RetryPolicy,
    ) -> None:
        self.store = store
        self.book = book
        self.runner = runner
        self.clock = clock
        self.metrics = metrics
        self.on_fact = on_fact
        self.retry = retry
        self._entries: dict[str, OutboxEntry] = {}
        self._by_idem: dict[str, str] = {}
        self._seq = 0
        self._paused: dict[str, float] = {}  # vendor -> epoch seconds
        self._wake = asyncio.Event()

    # --- enqueueing -------------------------------------------------------------------
    def load(self, entries: Iterable[OutboxEntry]) -> None:
        for entry in entries:
            self._remember(entry)
        self._gauge()

    def _remember(self, entry: OutboxEntry) -> None:
        self._entries[entry.id] = entry
        self._by_idem[entry.idem_key] = entry.id
        self._seq = max(self._seq, entry.seq)

    def has(self, idem_key: str) -> bool:
        return idem_key in self._by_idem

    def new_entry(
        self,
        incident_id: str,
        vendor: str,
        action: str,
        idem_key: str,
        payload: dict[str, Any],
        needs: Mapping[str, str] | None = None,
    ) -> OutboxEntry | None:
        """A new pending entry (None if this idem_key was enqueued before). Persist it with
        `IncidentStore.insert_entry` in the caller's transaction, then `register` it."""
        if idem_key in self._by_idem:
            return None
        self._seq += 1
        now = self.clock.now()
        return OutboxEntry(
            id=f"act_{secrets.token_hex(8)}",
            incident_id=incident_id,
            vendor=vendor,
            action=action,
            idem_key=idem_key,
            payload=payload,
            needs=dict(needs or {}),
            created_at=now,
            next_at=now.timestamp(),
            seq=self._seq,
        )

    def register(self, entries: Iterable[OutboxEntry]) -> None:
        """Make committed entries visible to processing and wake the loop."""
        for entry in entries:
            self._remember(entry)
        self._gauge()
        self._wake.set()

    # --- reading ----------------------------------------------------------------------
    def get(self, entry_id: str) -> OutboxEntry | None:
        return self._entries.get(entry_id)

    def entries(self, incident_id: str | None = None) -> list[OutboxEntry]:
        items = sorted(self._entries.values(), key=lambda e: e.seq)
        return [e for e in items if incident_id is None or e.incident_id == incident_id]

    def pending(self) -> list[OutboxEntry]:
        return [e for e in self.entries() if e.status == "pending"]

    def _gauge(self) -> None:
        self.metrics.outbox_pending.set(
            sum(1 for e in self._entries.values() if e.status == "pending")
        )

    # --- processing -------------------------------------------------------------------
    def _deps(self, entry: OutboxEntry) -> tuple[str, dict[str, Any]]:
        """('ready', results by role) | ('wait', {}) | ('broken', {'why': ...})."""
        results: dict[str, Any] = {}
        for role, needed_id in entry.needs.items():
            needed = self._entries.get(needed_id)
            if needed is None or needed.status in ("failed", "cancelled"):
                what = needed.name if needed is not None else needed_id
                return "broken", {"why": f"needs {what}, which did not succeed"}
            if needed.status != "done":
                return "wait", {}
            results[role] = needed.result
        return "ready", results

    async def process_due(self, now: datetime | None = None) -> int:
        """Attempt every entry that is due and ready; return how many were attempted."""
        at = now or self.clock.now()
        t = at.timestamp()
        ready: dict[str, list[tuple[OutboxEntry, dict[str, Any]]]] = {}
        for entry in self.pending():
            if entry.next_at > t or self._paused.get(entry.vendor, 0.0) > t:
                continue
            state, deps = self._deps(entry)
            if state == "broken":
                await self._cancel([entry], str(deps["why"]), at)
            elif state == "ready":
                ready.setdefault(entry.vendor, []).append((entry, deps))
        if not ready:
            return 0
        counts = await asyncio.gather(*(self._vendor(items, at) for items in ready.values()))
        return sum(counts)

    async def _vendor(self, items: list[tuple[OutboxEntry, dict[str, Any]]], at: datetime) -> int:
        """One vendor's due entries, one at a time (GitHub asks for serial writes)."""
        done = 0
        for entry, deps in items:
            if self._paused.get(entry.vendor, 0.0) > self.clock.now().timestamp():
                break  # a 429 earlier in this batch: the rest wait too
            await self._attempt(entry, deps)
            done += 1
        return done

    async def _attempt(self, entry: OutboxEntry, deps: dict[str, Any]) -> None:
        error: IntegrationError | None = None
        result: dict[str, Any] | None = None
        try:
            result = await self.runner.run(entry.vendor, entry.action, entry.payload, deps)
        except IntegrationError as exc:
            error = exc
        except Exception as exc:  # a bug must not kill the loop: retry like a 500
            log.exception("outbox action %s failed unexpectedly", entry.name)
            error = IntegrationError(entry.vendor, entry.action, repr(exc), retryable=True)
        now = self.clock.now()
        entry.attempts += 1
        entry.updated_at = now
        if error is None:
            entry.status, entry.result, entry.last_error = "done", result, None
            await self._settle(entry, Settlement(True, now, result=result), [])
            return
        entry.last_error = str(error)
        retry = error.retryable and entry.attempts < self.retry.max_attempts
        cancelled: list[OutboxEntry] = []
        if retry:
            wait = max(self.retry.delay(entry.attempts), error.retry_after_s or 0.0)
            entry.next_at = now.timestamp() + wait
            if error.retry_after_s is not None:
                self._paused[entry.vendor] = max(
                    self._paused.get(entry.vendor, 0.0), now.timestamp() + error.retry_after_s
                )
            outcome = Settlement(False, now, error=str(error), final=False, retry_in_s=wait)
        else:
            entry.status = "failed"
            cancelled = self._dependents(entry)
            outcome = Settlement(False, now, error=str(error), final=True)
        await self._settle(entry, outcome, cancelled)

    def _dependents(self, failed: OutboxEntry) -> list[OutboxEntry]:
        """Pending entries that (transitively) need `failed`."""
        gone = {failed.id}
        found: list[OutboxEntry] = []
        changed = True
        while changed:
            changed = False
            for entry in self.pending():
                if entry.id not in gone and gone & set(entry.needs.values()):
                    gone.add(entry.id)
                    found.append(entry)
                    changed = True
        return found

    async def _cancel(self, entries: list[OutboxEntry], why: str, at: datetime) -> None:
        statements: list[Statement] = []
        for entry in entries:
            entry.status, entry.last_error, entry.updated_at = "cancelled", why, at
            statements.append(IncidentStore.update_entry(entry))
        async with self.book.lock:
            await self.store.write(statements)
        self._gauge()
        for entry in entries:
            self.metrics.incident_actions.labels(entry.vendor, entry.action, "failed").inc()
            self.on_fact(
                _fact_type(entry, False),
                {
                    "incident_id": entry.incident_id,
                    "entry_id": entry.id,
                    "vendor": entry.vendor,
                    "action": entry.action,
                    "error": why,
                    "final": True,
                },
            )

    async def _settle(
        self, entry: OutboxEntry, outcome: Settlement, cancelled: list[OutboxEntry]
    ) -> None:
        statements = [IncidentStore.update_entry(entry)]
        for other in cancelled:
            other.status, other.updated_at = "cancelled", outcome.at
            other.last_error = f"needs {entry.name}, which failed"
            statements.append(IncidentStore.update_entry(other))
        async with self.book.lock:
            statements.extend(self.book.settled(entry, outcome))
            await self.store.write(statements)
        self._gauge()
        label = "ok" if outcome.ok else ("failed" if outcome.final else "retry")
        self.metrics.incident_actions.labels(entry.vendor, entry.action, label).inc()
        fact: dict[str, Any] = {
            "incident_id": entry.incident_id,
            "entry_id": entry.id,
            "vendor": entry.vendor,
            "action": entry.action,
            "attempts": entry.attempts,
        }
        if outcome.ok:
            fact["result"] = outcome.result
        else:
            fact.update(error=outcome.error, final=outcome.final, retry_in_s=outcome.retry_in_s)
            if cancelled:
                fact["cancelled"] = [c.name for c in cancelled]
        self.on_fact(_fact_type(entry, outcome.ok), fact)

    def next_due(self) -> float | None:
        """Epoch seconds of the earliest pending entry (or vendor pause end)."""
        times = [max(e.next_at, self._paused.get(e.vendor, 0.0)) for e in self.pending()]
        return min(times) if times else None

    def wake(self) -> None:
        self._wake.set()

    async def run(self, poll_s: float = 1.0) -> None:
        """Process forever: right after new entries, else when the next one is due."""
        while True:
            self._wake.clear()  # before the round: entries registered during it wake the next
            try:
                attempted = await self.process_due()
            except Exception:  # keep the loop alive (a store hiccup is retried next round)
                log.exception("outbox round failed")
                attempted = 0
            if attempted:
                continue
            due = self.next_due()
            wait = (
                poll_s if due is None else max(0.0, min(poll_s, due - self.clock.now().timestamp()))
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
