"""The incident tests' harness: the incident services on a temp data dir against the vendor
fakes, a clock the test moves, and a "restart" (close and rebuild from the same files)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from symphony.clock import FixedClock
from symphony.incidents.alertmanager import AlertmanagerPayload
from symphony.incidents.builder import IncidentServices, build_incident_services
from symphony.incidents.outbox import RetryPolicy
from symphony.incidents.parity import ParitySpec
from symphony.incidents.service import ArtifactRequest
from symphony.integrations.fakes import FakeStack
from symphony.metrics.registry import Metrics
from symphony.policy.model import BurnWindow, SloSpec

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "alertmanager"
T0 = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
WINDOWS = (
    BurnWindow("page", timedelta(seconds=60), timedelta(seconds=10), 5.0),
    BurnWindow("ticket", timedelta(minutes=5), timedelta(seconds=30), 2.0),
)
SLOS = (
    SloSpec(
        "execute-latency",
        "latency",
        0.9,
        timedelta(hours=1),
        WINDOWS,
        threshold_ms=2000,
        reopen_within=timedelta(minutes=30),
    ),
    SloSpec("execute-availability", "availability", 0.9, timedelta(hours=1), WINDOWS),
)


def am_payload(name: str, **changes: Any) -> AlertmanagerPayload:
    """A captured Alertmanager 0.25 body, optionally with alert fields changed."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    for key, value in changes.items():
        data["alerts"][0][key] = value
    return AlertmanagerPayload.model_validate(data)


class Harness:
    def __init__(
        self, tmp_path: Path, clock: FixedClock, stack: FakeStack, parity: ParitySpec
    ) -> None:
        self.tmp_path = tmp_path
        self.clock = clock
        self.stack = stack
        self.parity = parity
        self.facts: list[tuple[str, dict[str, Any]]] = []
        self.metrics = Metrics()
        self.http = stack.http_client()
        self.environ = stack.environ()
        self.services = self._build()

    async def _artifacts(self, request: ArtifactRequest) -> Mapping[str, Any]:
        return {
            "policy_version": "f8ef309224ee3aea",
            "recent_audit_ids": ["aud_1", "aud_2"],
            "window_states": {"openai/chatgpt-plus": {"remaining": 12, "resets_in": "41m"}},
        }

    def _build(self) -> IncidentServices:
        return build_incident_services(
            data_dir=self.tmp_path / "data",
            environ=self.environ,
            parity=self.parity,
            slo_specs=lambda: SLOS,
            metrics=self.metrics.slo,
            clock=self.clock,
            http=self.http,
            on_fact=lambda kind, payload: self.facts.append((kind, dict(payload))),
            artifacts=self._artifacts,
            retry=RetryPolicy(base_s=2, cap_s=60, max_attempts=5),
        )

    @property
    def incidents(self):  # type: ignore[no-untyped-def]
        return self.services.incidents

    @property
    def outbox(self):  # type: ignore[no-untyped-def]
        return self.services.outbox

    async def drain(self, rounds: int = 20) -> int:
        """Process the outbox until nothing is due now; return how many were attempted."""
        total = 0
        for _ in range(rounds):
            attempted = await self.outbox.process_due()
            if not attempted:
                break
            total += attempted
        return total

    async def settle(self, step: timedelta = timedelta(seconds=5), limit: int = 200) -> None:
        """Advance the clock and drain until nothing is pending (retries included)."""
        for _ in range(limit):
            await self.drain()
            if not self.outbox.pending():
                return
            self.clock.advance(step)
        raise AssertionError(
            f"outbox still pending: {[e.to_dict() for e in self.outbox.pending()]}"
        )

    async def restart(self) -> None:
        """What a process restart does: drop memory, close the file, rebuild, load."""
        self.services.close()
        self.services = self._build()
        await self.services.start()

    async def traffic(
        self, seconds: int, latency_ms: float = 300, ok: bool = True, model: str = "m"
    ) -> list[str]:
        """One execute per second through the SLO service; alert changes go to incidents."""
        changes = []
        for _ in range(seconds):
            self.clock.advance(timedelta(seconds=1))
            self.services.slo.on_execute(model, "qa", latency_ms, ok, self.clock.now())
            for alert in self.services.slo.tick():
                changes.append(f"{alert.slo}:{alert.state}:{alert.severity}")
                await self.incidents.on_slo_alert(alert)
        return changes

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.facts]

    async def aclose(self) -> None:
        self.services.close()
        await self.http.aclose()
