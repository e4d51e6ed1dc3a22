"""Roadmap status mirroring, the pure part: the Jira <-> GitHub Projects status mapping and
the decision of which side to change.

A roadmap item remembers the statuses both sides had after its last sync (the mark). On the
next sync a side *changed* if its status differs from the mark. One side changed: the other
is set to its mapped status. Both changed to statuses that map onto each other: nothing to
do. Both changed and disagree: Jira wins (the epic is the plan of record), the GitHub item
is set to Jira's status and the conflict goes to the incident's timeline with both sides'
update times. Nothing changed: nothing is written, so a sync is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

DEFAULT_MAP = "To Do=Todo,In Progress=In Progress,Done=Done"


class StatusMapError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class StatusMap:
    """Pairs of (Jira status, GitHub Projects Status option), in workflow order."""

    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> StatusMap:
        """`Jira=GitHub` pairs separated by commas, e.g. `To Do=Todo,Done=Done`."""
        pairs: list[tuple[str, str]] = []
        for part in (p.strip() for p in text.split(",")):
            jira, sep, github = part.partition("=")
            if not sep or not jira.strip() or not github.strip():
                raise StatusMapError(
                    f"roadmap status map: '{part}' is not 'Jira status=GitHub status'"
                )
            pairs.append((jira.strip(), github.strip()))
        if len({j for j, _ in pairs}) != len(pairs) or len({g for _, g in pairs}) != len(pairs):
            raise StatusMapError(f"roadmap status map '{text}' names a status twice")
        return cls(tuple(pairs))

    def to_github(self, jira: str, category: str = "") -> str:
        """The GitHub option for a Jira status; a status not in the map goes by its
        category (new: the first pair, done: the last, otherwise the second)."""
        for j, g in self.pairs:
            if j.lower() == jira.lower():
                return g
        if category == "new" or len(self.pairs) == 1:
            return self.pairs[0][1]
        if category == "done":
            return self.pairs[-1][1]
        return self.pairs[1][1] if len(self.pairs) > 2 else self.pairs[-1][1]

    def to_jira(self, github: str) -> str | None:
        """The Jira status for a GitHub option; None for an option not in the map."""
        return next((j for j, g in self.pairs if g.lower() == github.lower()), None)


@dataclass(frozen=True, slots=True)
class Side:
    status: str | None  # Jira status name; GitHub option name (None: unset)
    updated: datetime | None
    category: str = ""  # Jira's status category key


@dataclass(frozen=True, slots=True)
class Mark:
    """Both sides' statuses right after the last sync."""

    jira: str
    github: str | None


Action = Literal["none", "set_github", "set_jira"]


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    target: str | None = None  # the status to set
    conflict: bool = False
    reason: str = ""


def decide(mark: Mark | None, jira: Side, github: Side, statuses: StatusMap) -> Decision:
    """Which side to change (see the module docstring)."""
    jira_status = jira.status or ""
    want_github = statuses.to_github(jira_status, jira.category)
    if mark is None:
        if github.status == want_github:
            return Decision("none", reason="first sync: already in step")
        return Decision("set_github", want_github, reason="first sync: GitHub follows the epic")
    jira_changed = jira_status != mark.jira
    github_changed = github.status != mark.github
    in_step = github.status == want_github
    if jira_changed and github_changed:
        if in_step:
            return Decision("none", reason="both changed to the same status")
        return Decision(
            "set_github",
            want_github,
            conflict=True,
            reason=f"both changed (Jira '{mark.jira}' -> '{jira_status}' at {jira.updated},"
            f" GitHub '{mark.github}' -> '{github.status}' at {github.updated}): Jira wins",
        )
    if jira_changed:
        if in_step:
            return Decision("none", reason="already in step")
        return Decision("set_github", want_github, reason=f"Jira moved to '{jira_status}'")
    if github_changed:
        if github.status is None:
            return Decision("set_github", want_github, reason="GitHub status cleared: restored")
        want_jira = statuses.to_jira(github.status)
        if want_jira is None:
            return Decision("none", reason=f"GitHub status '{github.status}' is not mapped")
        if want_jira.lower() == jira_status.lower():
            return Decision("none", reason="already in step")
        return Decision("set_jira", want_jira, reason=f"GitHub moved to '{github.status}'")
    return Decision("none", reason="no change since the last sync")
