"""Settings from the environment only: an integration without its settings is off and says why."""

from __future__ import annotations

from pathlib import Path

from symphony.integrations.github.config import GitHubConfig
from symphony.integrations.jira.config import JiraConfig
from symphony.integrations.pagerduty.config import DEFAULT_EVENTS_URL, PagerDutyConfig
from symphony.integrations.registry import IntegrationConfigs
from symphony.integrations.slack.config import SlackConfig


def test_everything_is_off_with_an_empty_environment() -> None:
    statuses = {s.vendor: s for s in IntegrationConfigs.from_env({}).statuses()}
    assert {v: s.enabled for v, s in statuses.items()} == {
        "github": False,
        "jira": False,
        "slack": False,
        "pagerduty": False,
    }
    assert statuses["github"].why_off == "GITHUB_TOKEN and GITHUB_REPO are not set"
    assert statuses["jira"].why_off == "JIRA_BASE_URL and JIRA_EMAIL and JIRA_API_TOKEN are not set"
    assert statuses["slack"].why_off == "SLACK_WEBHOOK_URL is not set"
    assert statuses["pagerduty"].why_off == "PAGERDUTY_ROUTING_KEY is not set"


def test_github_defaults_and_overrides() -> None:
    config = GitHubConfig.from_env({"GITHUB_TOKEN": "t"}, default_repo="acme/tower")
    assert config.enabled
    assert config.api_url == "https://api.github.com"
    assert config.repo == "acme/tower"  # from the parity file when GITHUB_REPO is unset
    ghe = GitHubConfig.from_env(
        {"GITHUB_TOKEN": "t", "GITHUB_REPO": "o/r", "GITHUB_API_URL": "https://ghe.corp/api/v3/"},
        default_repo="acme/tower",
    )
    assert (ghe.repo, ghe.api_url) == ("o/r", "https://ghe.corp/api/v3")
    bad = GitHubConfig.from_env({"GITHUB_TOKEN": "t", "GITHUB_REPO": "no-slash"})
    assert bad.why_off == "GITHUB_REPO 'no-slash' is not owner/name"


def test_secrets_come_from_files_and_never_show_in_repr(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cr3t-value\n")
    environ = {
        "GITHUB_TOKEN_FILE": str(secret),
        "GITHUB_REPO": "o/r",
        "JIRA_BASE_URL": "https://acme.atlassian.net",
        "JIRA_EMAIL": "bot@acme.test",
        "JIRA_API_TOKEN": "s3cr3t-value",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/s3cr3t-value",
        "PAGERDUTY_ROUTING_KEY": "s3cr3t-value",
    }
    configs = IntegrationConfigs.from_env(environ)
    assert configs.github.token == "s3cr3t-value"
    assert all(s.enabled for s in configs.statuses())
    for config in (configs.github, configs.jira, configs.slack, configs.pagerduty):
        assert "s3cr3t" not in repr(config)
    assert all("s3cr3t" not in str(s.to_dict()) for s in configs.statuses())
    assert configs.slack.status().target == "hooks.slack.com"
    assert configs.pagerduty.events_url == DEFAULT_EVENTS_URL
    assert configs.jira.browse_url("SYM-1") == "https://acme.atlassian.net/browse/SYM-1"


def test_partial_settings_name_what_is_missing() -> None:
    assert JiraConfig.from_env({"JIRA_BASE_URL": "https://x.atlassian.net"}).why_off == (
        "JIRA_EMAIL and JIRA_API_TOKEN are not set"
    )
    assert SlackConfig.from_env({"SLACK_WEBHOOK_URL": "hooks"}).why_off == (
        "SLACK_WEBHOOK_URL is not an http(s) URL"
    )
    custom = PagerDutyConfig.from_env(
        {"PAGERDUTY_ROUTING_KEY": "k", "PAGERDUTY_EVENTS_URL": "http://127.0.0.1:9/v2/enqueue"}
    )
    assert custom.events_url == "http://127.0.0.1:9/v2/enqueue"
