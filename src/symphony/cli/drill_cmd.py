"""`symphony drill`: a synthetic SLO breach against a running (demo) Symphony.

Injects latency into the demo simulator, sends traffic until the SLO breaches and an
incident opens with its tickets and notifications, removes the fault, keeps the traffic
going until the SLO recovers and the incident autocloses (tickets closed), and prints each
step with its time. Exit 0 only if every step happened; 1 names the step that did not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

DEFAULT_BASE = "http://127.0.0.1:8787"
DEFAULT_SIM = "http://127.0.0.1:8788"
TICKETING = ("github", "jira")
NOTIFY = {"slack": "slack.post", "pagerduty": "pagerduty.trigger"}


class DrillFailed(Exception):
    """A step did not happen in time (the message names it)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "drill",
        help="fire a synthetic SLO breach at a running demo Symphony and watch the incident",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--base", default=None, help=f"Symphony URL (env PROXY_BASE, default {DEFAULT_BASE})"
    )
    p.add_argument(
        "--sim",
        default=None,
        help="demo simulator URL (env SYMPHONY_SIM_URL; default: the one the service names in"
        f" /status/health.json, else {DEFAULT_SIM})",
    )
    p.add_argument("--workers", type=int, default=4, help="concurrent executes (default 4)")
    p.add_argument(
        "--timeout", type=float, default=180.0, help="seconds each phase may take (default 180)"
    )
    p.set_defaults(handler=run)


class Drill:
    def __init__(
        self, api: httpx.AsyncClient, sim: httpx.AsyncClient, workers: int, timeout: float
    ) -> None:
        self.api = api
        self.sim = sim
        self.workers = workers
        self.timeout = timeout
        self.start = time.monotonic()
        self.sent = 0

    def step(self, text: str) -> None:
        print(f"[{time.monotonic() - self.start:6.1f}s] {text}", flush=True)

    async def get(self, path: str) -> Any:
        answer = await self.api.get(path)
        if answer.status_code != 200:
            raise DrillFailed(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    async def until(self, what: str, check: Callable[[], Awaitable[Any]]) -> Any:
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            found = await check()
            if found:
                return found
            await asyncio.sleep(0.5)
        raise DrillFailed(f"{what}: did not happen within {self.timeout:.0f}s")

    async def traffic(self, stop: asyncio.Event) -> None:
        async def worker(n: int) -> None:
            while not stop.is_set():
                body = {"task": "qa", "input": f"drill request {n}", "loa": 1, "stream": False}
                with contextlib.suppress(httpx.HTTPError):
                    await self.api.post("/route/execute", json=body)
                    self.sent += 1

        await asyncio.gather(*(worker(n) for n in range(self.workers)))

    async def run(self) -> None:
        health = await self.get("/status/health.json")
        states = {s["vendor"]: s for s in health.get("integrations", [])}
        on = sorted(v for v, s in states.items() if s["enabled"])
        self.step(f"Symphony is up; integrations on: {', '.join(on) or 'none'}")
        slos = (await self.get("/slo"))["slos"]
        latency = next((s for s in slos if s["kind"] == "latency"), None)
        if latency is None or latency["threshold_ms"] is None:
            raise DrillFailed("the policy declares no latency SLO with a threshold (policy.slos[])")
        delay = latency["threshold_ms"] / 1000 + 0.5
        before = {i["id"] for i in (await self.get("/incidents?status=open"))["incidents"]}
        fault = {"kind": "timeout", "count": -1, "delay_s": delay}
        answer = await self.sim.post("/_sim/faults", json=fault)
        if answer.status_code != 200:
            raise DrillFailed(
                f"the simulator refused the fault ({answer.status_code}):"
                f" is {self.sim.base_url} a demo simulator?"
            )
        self.step(
            f"injected {delay:.1f}s latency into every simulated model"
            f" ({latency['name']}: threshold {latency['threshold_ms']} ms)"
        )
        stop = asyncio.Event()
        traffic = asyncio.create_task(self.traffic(stop))
        try:
            incident = await self.until(
                "an SLO incident opening", lambda: self._new_incident(before)
            )
            self.step(
                f"incident {incident['id']} opened: {incident['title']} ({incident['severity']})"
            )
            tickets = await self.until(
                "tickets and notifications", lambda: self._delivered(incident["id"], on)
            )
            for t in tickets["tickets"]:
                self.step(f"ticket {t['system']} {t['key']}: {t['url']}")
            for name in ("slack", "pagerduty"):
                if name in on:
                    self.step(f"notified {name}")
            await self.sim.delete("/_sim/faults")
            self.step("removed the fault; traffic continues at normal latency")
            done = await self.until(
                "recovery and autoclose", lambda: self._closed(incident["id"], on)
            )
            self.step(
                f"incident {incident['id']} resolved at {done['resolved_at']}; tickets closed: "
                f"{', '.join(t['system'] for t in done['tickets']) or 'none'}"
            )
        finally:
            stop.set()
            traffic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await traffic
            with contextlib.suppress(httpx.HTTPError):
                await self.sim.delete("/_sim/faults")
        fakes = await self.api.get("/integrations/fakes")
        if fakes.status_code == 200:
            got = fakes.json()
            self.step(
                "the demo fakes received: " + ", ".join(f"{k} {len(v)}" for k, v in got.items())
            )
        self.step(f"drill passed ({self.sent} executes sent)")

    async def _new_incident(self, before: set[str]) -> dict[str, Any] | None:
        items = (await self.get("/incidents?status=open"))["incidents"]
        fresh = [i for i in items if i["id"] not in before and i["source"] == "slo"]
        return fresh[0] if fresh else None

    async def _delivered(self, incident_id: str, on: list[str]) -> dict[str, Any] | None:
        view: dict[str, Any] = await self.get(f"/incidents/{incident_id}")
        have = {t["system"] for t in view["tickets"]}
        if not {v for v in TICKETING if v in on} <= have:
            return None
        done = {a["action"] for a in view["outbox"] if a["status"] == "done"}
        if any(NOTIFY[v] not in done for v in NOTIFY if v in on):
            return None
        return view

    async def _closed(self, incident_id: str, on: list[str]) -> dict[str, Any] | None:
        view: dict[str, Any] = await self.get(f"/incidents/{incident_id}")
        if view["status"] != "resolved":
            return None
        if any(t["state"] != "closed" for t in view["tickets"]):
            return None
        return view


def run(args: argparse.Namespace) -> int:
    base = (args.base or os.environ.get("PROXY_BASE") or DEFAULT_BASE).rstrip("/")
    sim = args.sim or os.environ.get("SYMPHONY_SIM_URL") or None
    key = os.environ.get("SYMPHONY_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return asyncio.run(drill(base, sim, headers, args.workers, args.timeout))


async def simulator_of(api: httpx.AsyncClient) -> str:
    """The demo's simulator as the service reports it (`simulator` in /status/health.json),
    else the default port's."""
    try:
        answer = await api.get("/status/health.json")
        found = answer.json().get("simulator") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        found = None
    return found if isinstance(found, str) and found else DEFAULT_SIM


async def drill(
    base: str, sim: str | None, headers: dict[str, str], workers: int, phase_s: float
) -> int:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
        sim = (sim or await simulator_of(api)).rstrip("/")
        async with httpx.AsyncClient(base_url=sim, timeout=10) as sim_client:
            runner = Drill(api, sim_client, workers, phase_s)
            runner.step(f"simulator: {sim}")
            try:
                await runner.run()
            except DrillFailed as exc:
                runner.step(f"FAILED: {exc}")
                return 1
            except httpx.HTTPError as exc:
                runner.step(f"FAILED: cannot reach {base} or {sim}: {exc}")
                return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(argparse.Namespace(base=None, sim=None, workers=4, timeout=180.0)))
