"""Build the enabled integrations from their configs: the one place that knows all four."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from symphony.clock import Clock
from symphony.integrations.base import Chat, IntegrationStatus, Paging, Ticketing
from symphony.integrations.github.client import GitHubClient
from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.github.service import GitHubTicketing
from symphony.integrations.jira.client import JiraClient
from symphony.integrations.jira.config import JiraConfig, JiraProject
from symphony.integrations.jira.service import JiraTicketing
from symphony.integrations.pagerduty.client import PagerDutyClient
from symphony.integrations.pagerduty.config import PagerDutyConfig
from symphony.integrations.pagerduty.service import PagerDutyPaging
from symphony.integrations.slack.client import SlackClient
from symphony.integrations.slack.config import SlackConfig
from symphony.integrations.slack.service import SlackChat


@dataclass(frozen=True, slots=True)
class IntegrationConfigs:
    github: GitHubConfig
    jira: JiraConfig
    slack: SlackConfig
    pagerduty: PagerDutyConfig

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], default_repo: str | None = None
    ) -> IntegrationConfigs:
        """Every integration's settings; one without its settings is off and says why."""
        return cls(
            github=GitHubConfig.from_env(environ, default_repo),
            jira=JiraConfig.from_env(environ),
            slack=SlackConfig.from_env(environ),
            pagerduty=PagerDutyConfig.from_env(environ),
        )

    def statuses(self) -> tuple[IntegrationStatus, ...]:
        return (
            self.github.status(),
            self.jira.status(),
            self.slack.status(),
            self.pagerduty.status(),
        )


@dataclass(frozen=True, slots=True)
class Integrations:
    """The enabled integrations by vendor name, plus every one's status."""

    tickets: Mapping[str, Ticketing]
    chat: Mapping[str, Chat]
    paging: Mapping[str, Paging]
    statuses: tuple[IntegrationStatus, ...]

    def status_dicts(self) -> list[dict[str, object]]:
        return [s.to_dict() for s in self.statuses]


def build_integrations(
    configs: IntegrationConfigs,
    jira_project: JiraProject | None,
    http: httpx.AsyncClient,
    clock: Clock,
) -> Integrations:
    """Clients and services for every enabled integration (Jira also needs its project)."""
    tickets: dict[str, Ticketing] = {}
    chat: dict[str, Chat] = {}
    paging: dict[str, Paging] = {}
    statuses = list(configs.statuses())
    if configs.github.enabled:
        tickets["github"] = GitHubTicketing(GitHubClient(configs.github, http, clock))
    if configs.jira.enabled:
        if jira_project is None:
            statuses[1] = IntegrationStatus(
                "jira", False, "the parity file has no jira.projectKey", configs.jira.base_url
            )
        else:
            client = JiraClient(configs.jira, http, clock)
            tickets["jira"] = JiraTicketing(client, configs.jira, jira_project)
    if configs.slack.enabled:
        chat["slack"] = SlackChat(SlackClient(configs.slack, http, clock))
    if configs.pagerduty.enabled:
        paging["pagerduty"] = PagerDutyPaging(PagerDutyClient(configs.pagerduty, http, clock))
    return Integrations(tickets, chat, paging, tuple(statuses))
