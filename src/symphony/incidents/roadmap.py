"""The roadmap hook: SLOs whose error budget fell below a threshold become one roadmap item
(a GitHub issue labelled `roadmap` and a Jira epic) linking the incidents it summarises.
A scheduler calls `file_slo_debt(now)` (nightly); filing is once per day and idempotent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from symphony.incidents.model import Incident, iso
from symphony.incidents.service import IncidentService
from symphony.incidents.slo import SloStatus
from symphony.windows.specs import format_duration

StatusSource = Callable[[datetime], Sequence[SloStatus]]


def _row(status: SloStatus, incidents: list[Incident]) -> list[str]:
    total = status.good + status.bad
    lines = [
        f"## {status.name}",
        "",
        f"- objective: {status.objective * 100:g}% ({status.kind}"
        + (f", within {status.threshold_ms} ms" if status.threshold_ms else "")
        + f") over {format_duration(status.period)}",
        f"- error budget left: {status.budget_remaining * 100:.1f}%",
        f"- bad executes: {status.bad} of {total}",
        f"- incidents in the period: {len(incidents)}",
    ]
    for incident in incidents:
        refs = ", ".join(f"[{v} {t['id']}]({t['url']})" for v, t in incident.tickets.items())
        lines.append(f"  - {iso(incident.opened_at)} {incident.title} {refs}".rstrip())
    return lines


class RoadmapFiler:
    def __init__(
        self, incidents: IncidentService, statuses: StatusSource, threshold: float = 0.25
    ) -> None:
        self.incidents = incidents
        self.statuses = statuses
        self.threshold = threshold  # file SLOs with less than this share of budget left

    async def file_slo_debt(self, now: datetime) -> Incident | None:
        """File today's SLO debt as one roadmap item; None when there is no debt or today's
        item was filed already."""
        debt = [s for s in self.statuses(now) if s.budget_remaining < self.threshold]
        if not debt:
            return None
        related: dict[str, list[Incident]] = {}
        for status in debt:
            since = now - status.period
            related[status.name] = [
                i
                for i in self.incidents.incidents()
                if i.slo == status.name and i.opened_at >= since
            ]
        names = ", ".join(s.name for s in debt)
        lines = [
            f"SLO debt on {now.date().isoformat()}: {len(debt)} SLO(s) with less than"
            f" {self.threshold * 100:g}% of their error budget left.",
            "",
        ]
        for status in debt:
            lines += [*_row(status, related[status.name]), ""]
        ids = [i.id for items in related.values() for i in items]
        return await self.incidents.open_roadmap(
            key=f"roadmap:{now.date().isoformat()}",
            title=f"[Roadmap] SLO debt: {names}",
            body="\n".join(lines).rstrip(),
            related=ids,
            artifacts={"slo_debt": {s.name: round(s.budget_remaining, 4) for s in debt}},
        )
