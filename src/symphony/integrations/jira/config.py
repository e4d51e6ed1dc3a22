"""Jira settings: site and credentials from the environment (JIRA_BASE_URL, JIRA_EMAIL,
JIRA_API_TOKEN); project, issue types, field mappings and transition names from the
parity file (`JiraProject`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from symphony.integrations.base import IntegrationStatus
from symphony.integrations.env import env_value, missing, why_off

DEFAULT_MAPPINGS: tuple[tuple[str, str], ...] = (
    ("summary", "title"),
    ("description", "body"),
    ("labels", "labels"),
)


@dataclass(frozen=True, slots=True)
class JiraConfig:
    base_url: str | None = None  # https://<site>.atlassian.net
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> JiraConfig:
        base = env_value(environ, "JIRA_BASE_URL")
        return cls(
            base_url=base.rstrip("/") if base else None,
            email=env_value(environ, "JIRA_EMAIL"),
            api_token=env_value(environ, "JIRA_API_TOKEN"),
        )

    @property
    def why_off(self) -> str | None:
        values = {
            "JIRA_BASE_URL": self.base_url or "",
            "JIRA_EMAIL": self.email or "",
            "JIRA_API_TOKEN": self.api_token or "",
        }
        names = missing(values, *values)
        if names:
            return why_off(names)
        if not (self.base_url or "").startswith(("https://", "http://")):
            return f"JIRA_BASE_URL '{self.base_url}' is not an http(s) URL"
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    def browse_url(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    def status(self) -> IntegrationStatus:
        return IntegrationStatus("jira", self.enabled, self.why_off, self.base_url)


@dataclass(frozen=True, slots=True)
class JiraProject:
    """Where and how tickets are filed (parity file `jira:`)."""

    project_key: str
    issue_type: str = "Incident"
    epic_type: str = "Epic"
    # (Jira field, source) pairs: summary <- title, description <- body, labels <- labels,
    # priority / components / customfield_NNNNN <- severity | component | any draft field.
    mappings: tuple[tuple[str, str], ...] = DEFAULT_MAPPINGS
    close_transition: str = "Done"
    reopen_transition: str = "To Do"
