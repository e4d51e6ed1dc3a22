"""Settings of the SLO evaluator, the incident outbox and the four integrations.

`SYMPHONY_INCIDENTS_*` tune the loops; the integrations' credentials and addresses keep the
names the vendors' own tooling uses (`GITHUB_TOKEN`, `JIRA_API_TOKEN`, …, each also readable
from a file named in `<NAME>_FILE`), and are `SecretStr` so they never print. An integration
without its settings is off and says why (`GET /integrations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator

from symphony.incidents.roadmap_status import StatusMap
from symphony.settings.base import EnvSettings

VENDOR_SECRETS = ("GITHUB_TOKEN", "JIRA_API_TOKEN", "SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY")
VENDOR_PLAIN = (
    "GITHUB_REPO",
    "GITHUB_API_URL",
    "JIRA_BASE_URL",
    "JIRA_EMAIL",
    "PAGERDUTY_EVENTS_URL",
)


class IncidentsSettings(EnvSettings):
    env_section: ClassVar[str] = "SLOs, incidents and integrations"

    incidents_enabled: bool = Field(
        True,
        description="Evaluate SLOs in-process, open incidents and deliver their tickets and"
        " notifications: true|false.",
    )
    incidents_parity_file: Path = Field(
        Path("config/incident.parity.yml"),
        description="GitHub/Jira parity file: repo, labels, Jira project and field mappings,"
        " autoclose; a missing file means the defaults (Jira off).",
    )
    incidents_eval_interval_s: float = Field(
        5.0, gt=0, description="Seconds between SLO evaluations (demo mode: at most 1)."
    )
    incidents_outbox_poll_s: float = Field(
        1.0, gt=0, description="Longest wait of the outbox loop between checks for due actions."
    )
    incidents_retry_base_s: float = Field(
        2.0, gt=0, description="First retry delay of a failed ticket or notification call."
    )
    incidents_retry_cap_s: float = Field(
        900.0, gt=0, description="Longest delay between retries (exponential backoff, doubled)."
    )
    incidents_retry_max_attempts: int = Field(
        16, ge=1, description="Attempts before an outbound action is given up (and audited)."
    )
    incidents_http_timeout_s: float = Field(
        10.0, gt=0, description="Timeout of one call to GitHub, Jira, Slack or PagerDuty."
    )
    incidents_roadmap_at: str = Field(
        "02:00",
        pattern=r"^(off|([01][0-9]|2[0-3]):[0-5][0-9])$",
        description="UTC time (HH:MM) of the nightly roadmap hook: SLOs short of error budget"
        " are filed as one roadmap item (GitHub issue labelled roadmap + Jira epic); off:"
        " never.",
    )
    incidents_roadmap_threshold: float = Field(
        0.25,
        gt=0,
        le=1,
        description="The roadmap hook files SLOs with less than this share of budget left.",
    )
    incidents_github_project: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+/[0-9]+$",
        description="GitHub Project (v2) that mirrors the roadmap, as owner/number (the"
        " number in the project's URL): each roadmap item's GitHub issue is added to it and"
        " its Status is kept in step with the Jira epic; unset: no sync (demo: the fake's"
        " project).",
    )
    incidents_roadmap_sync_s: float = Field(
        900.0,
        gt=0,
        description="Seconds between roadmap status syncs (Jira epic <-> GitHub Project item).",
    )
    incidents_roadmap_status_map: str = Field(
        "To Do=Todo,In Progress=In Progress,Done=Done",
        description="Jira status=GitHub Project Status option pairs, comma-separated, in"
        " workflow order; a Jira status not listed goes by its category (to do, in"
        " progress, done).",
    )
    incidents_demo_fakes: bool = Field(
        True,
        description="In demo mode, in-process fakes stand in for GitHub, Jira, Slack and"
        " PagerDuty unless GITHUB_TOKEN, JIRA_BASE_URL, SLACK_WEBHOOK_URL or"
        " PAGERDUTY_ROUTING_KEY point at real ones: true|false.",
    )
    github_token: SecretStr | None = Field(
        None,
        repr=False,
        validation_alias="GITHUB_TOKEN",
        description="GitHub token that may create, comment and close issues in GITHUB_REPO.",
    )
    github_repo: str | None = Field(
        None,
        validation_alias="GITHUB_REPO",
        description="owner/name of the repository for incident issues (wins over the parity"
        " file's github.repo).",
    )
    github_api_url: str | None = Field(
        None,
        validation_alias="GITHUB_API_URL",
        description="GitHub REST base URL (unset: https://api.github.com; set it for GitHub"
        " Enterprise).",
    )
    jira_base_url: str | None = Field(
        None,
        validation_alias="JIRA_BASE_URL",
        description="Jira Cloud site, e.g. https://acme.atlassian.net.",
    )
    jira_email: str | None = Field(
        None, validation_alias="JIRA_EMAIL", description="Jira account email for basic auth."
    )
    jira_api_token: SecretStr | None = Field(
        None, repr=False, validation_alias="JIRA_API_TOKEN", description="Jira API token."
    )
    slack_webhook_url: SecretStr | None = Field(
        None,
        repr=False,
        validation_alias="SLACK_WEBHOOK_URL",
        description="Slack incoming webhook URL (a secret: the URL is the key).",
    )
    pagerduty_routing_key: SecretStr | None = Field(
        None,
        repr=False,
        validation_alias="PAGERDUTY_ROUTING_KEY",
        description="PagerDuty Events API v2 routing (integration) key.",
    )
    pagerduty_events_url: str | None = Field(
        None,
        validation_alias="PAGERDUTY_EVENTS_URL",
        description="PagerDuty Events API URL (unset: https://events.pagerduty.com/v2/enqueue).",
    )

    @field_validator("incidents_roadmap_status_map")
    @classmethod
    def _status_map(cls, value: str) -> str:
        StatusMap.parse(value)  # raises with the pair that is wrong
        return value

    def vendor_environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """What the integration configs read: these settings' values, plus the
        `<NAME>_FILE` variables of `environ` for the ones left unset."""
        out: dict[str, str] = {}
        for name in (*VENDOR_SECRETS, *VENDOR_PLAIN):
            value = getattr(self, name.lower())
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value:
                out[name] = str(value)
            elif environ.get(f"{name}_FILE"):
                out[f"{name}_FILE"] = environ[f"{name}_FILE"]
        return out

    def points_at_real(self, environ: Mapping[str, str]) -> bool:
        """True when any integration is configured (demo mode then keeps its fakes off)."""
        given = self.vendor_environ(environ)
        keys = ("GITHUB_TOKEN", "JIRA_BASE_URL", "SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY")
        return any(k in given or f"{k}_FILE" in given for k in keys)
