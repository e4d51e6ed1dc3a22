"""Which outbox entries each lifecycle step enqueues, following the parity file and the
integrations that are on. Idempotency keys are per incident and episode, so enqueueing a
step twice (a duplicate delivery, a retried request) adds nothing."""

from __future__ import annotations

from dataclasses import dataclass

from symphony.incidents.actions import draft_to_dict, message_to_dict, page_to_dict
from symphony.incidents.model import Incident, OutboxEntry, iso
from symphony.incidents.outbox import Outbox
from symphony.incidents.parity import ParitySpec
from symphony.incidents.tickets import chat_message, page_event, ticket_draft
from symphony.integrations.registry import Integrations

TICKET_VENDORS = ("github", "jira")
LINK_TITLES = {"github": "Jira", "jira": "GitHub issue"}


@dataclass(frozen=True, slots=True)
class PlanContext:
    outbox: Outbox
    integrations: Integrations
    parity: ParitySpec
    runbook_url: str


class Planner:
    """Collects the entries of one step (and notes their ids on the incident)."""

    def __init__(self, ctx: PlanContext, incident: Incident) -> None:
        self.ctx = ctx
        self.incident = incident
        self.entries: list[OutboxEntry] = []

    def add(
        self,
        vendor: str,
        action: str,
        suffix: str,
        payload: dict[str, object],
        needs: dict[str, str] | None = None,
        remember: str | None = None,
    ) -> OutboxEntry | None:
        key = f"{self.incident.id}:{vendor}:{action}{':' + suffix if suffix else ''}"
        entry = self.ctx.outbox.new_entry(self.incident.id, vendor, action, key, payload, needs)
        if entry is not None:
            self.entries.append(entry)
            if remember:
                self.incident.actions[remember] = entry.id
        return entry

    def _ticketing(self) -> list[str]:
        return [v for v in TICKET_VENDORS if v in self.ctx.integrations.tickets]

    def _notify(self, event: str, detail: str = "") -> None:
        parity, inc = self.ctx.parity, self.incident
        if parity.notify_slack and "slack" in self.ctx.integrations.chat:
            message = message_to_dict(chat_message(inc, event, detail))
            self.add("slack", "post", f"{event}:{inc.episode}", message)

    def _page(self) -> None:
        parity, inc = self.ctx.parity, self.incident
        if (
            parity.notify_pagerduty
            and "pagerduty" in self.ctx.integrations.paging
            and inc.severity in parity.pagerduty_severities
            and f"pagerduty.trigger:{inc.episode}" not in inc.actions
        ):
            # A new episode's trigger goes after the previous episode's resolve.
            after = inc.actions.get("pagerduty.resolve")
            entry = self.add(
                "pagerduty",
                "trigger",
                str(inc.episode),
                page_to_dict(page_event(inc, parity)),
                needs={"after": after} if after else None,
                remember="pagerduty.trigger",
            )
            if entry is not None:
                inc.actions[f"pagerduty.trigger:{inc.episode}"] = entry.id

    def opened(self, extra_labels: tuple[str, ...] = ()) -> None:
        inc, parity = self.incident, self.ctx.parity
        draft = draft_to_dict(ticket_draft(inc, parity, self.ctx.runbook_url, extra_labels))
        created: dict[str, str] = {}
        for vendor in self._ticketing():
            entry = self.add(vendor, "create", "", {"draft": draft}, remember=f"{vendor}.create")
            if entry is not None:
                created[vendor] = entry.id
        if parity.link_backrefs and len(created) == 2:
            for vendor, other in (("github", "jira"), ("jira", "github")):
                self.add(
                    vendor,
                    "link",
                    "",
                    {"title": LINK_TITLES[vendor]},
                    needs={"ticket": created[vendor], "other": created[other]},
                )
        self._notify("opened")
        self._page()

    def roadmap(self, related: list[Incident]) -> None:
        """A GitHub issue and a Jira epic, cross-linked; the epic relates to each incident's
        Jira issue (the GitHub body lists the incidents' issues, which GitHub backlinks)."""
        inc, parity = self.incident, self.ctx.parity
        draft = draft_to_dict(ticket_draft(inc, parity, self.ctx.runbook_url))
        others = [label for label in parity.github_labels if label != "incident"]
        draft["labels"] = list(dict.fromkeys(["roadmap", *others]))
        draft["fields"] = {}  # a roadmap item has no incident severity
        created: dict[str, str] = {}
        for vendor in self._ticketing():
            entry = self.add(vendor, "create", "", {"draft": draft}, remember=f"{vendor}.create")
            if entry is not None:
                created[vendor] = entry.id
        if parity.link_backrefs and len(created) == 2:
            for vendor, other in (("github", "jira"), ("jira", "github")):
                self.add(
                    vendor,
                    "link",
                    "",
                    {"title": LINK_TITLES[vendor]},
                    needs={"ticket": created[vendor], "other": created[other]},
                )
        if "jira" in created:
            for item in related:
                theirs = item.actions.get("jira.create")
                if theirs is not None:
                    self.add(
                        "jira",
                        "link",
                        item.id,
                        {"title": "Incident"},
                        needs={"ticket": created["jira"], "other": theirs},
                    )

    def escalated(self, previous: str) -> None:
        inc = self.incident
        text = f"Escalated from {previous} to {inc.severity} ({inc.level})."
        if "github.create" in inc.actions and "github" in self.ctx.integrations.tickets:
            marker = f"{inc.id}:escalated:{inc.episode}:{inc.severity}"
            self.add(
                "github",
                "comment",
                f"escalated:{inc.episode}:{inc.severity}",
                {"text": text, "marker": marker},
                needs={"ticket": inc.actions["github.create"]},
            )
        self._notify("escalated", text)
        self._page()

    def resolved(self, reason: str) -> None:
        inc, parity = self.incident, self.ctx.parity
        at = iso(inc.resolved_at) if inc.resolved_at else "now"
        text = f"Recovered at {at}: {reason}"
        for vendor in self._ticketing():
            created = inc.actions.get(f"{vendor}.create")
            if created is None:
                continue
            marker = f"{inc.id}:resolved:{inc.episode}"
            if parity.autoclose_on_recovery:
                needs = {"ticket": created}
                reopening = inc.actions.get(f"{vendor}.reopen")
                if reopening is not None:  # and a slow reopen never lands after the close
                    needs["after"] = reopening
                self.add(
                    vendor,
                    "close",
                    str(inc.episode),
                    {"comment": text, "marker": marker},
                    needs=needs,
                    remember=f"{vendor}.close",
                )
            elif vendor == "github":
                self.add(
                    vendor,
                    "comment",
                    f"resolved:{inc.episode}",
                    {"text": text, "marker": marker},
                    needs={"ticket": created},
                )
        self._notify("resolved", reason)
        trigger = inc.actions.get("pagerduty.trigger")
        if trigger is not None and "pagerduty" in self.ctx.integrations.paging:
            self.add(
                "pagerduty",
                "resolve",
                str(inc.episode),
                {"dedup_key": f"symphony:{inc.id}"},
                needs={"trigger": trigger},
                remember="pagerduty.resolve",
            )

    def reopened(self) -> None:
        inc, parity = self.incident, self.ctx.parity
        text = f"Burning again within the reopen window: reopened (episode {inc.episode})."
        if parity.autoclose_on_recovery:
            for vendor in self._ticketing():
                created = inc.actions.get(f"{vendor}.create")
                if created is None:
                    continue
                needs = {"ticket": created}
                closing = inc.actions.get(f"{vendor}.close")
                if closing is not None:  # never let a slow close land after the reopen
                    needs["after"] = closing
                self.add(
                    vendor,
                    "reopen",
                    str(inc.episode),
                    {"comment": text, "marker": f"{inc.id}:reopened:{inc.episode}"},
                    needs=needs,
                    remember=f"{vendor}.reopen",
                )
        self._notify("reopened", text)
        self._page()
