"""alerting/alertmanager.yml passes amtool, routes each severity where it should, and renders
the seed's Slack template."""

from __future__ import annotations

import pytest
from obs_stack import ALERTING, load_yaml, need, run

CONFIG = ALERTING / "alertmanager.yml"
SECRETS = "/etc/alertmanager/secrets"  # alerting/secrets/ mounted at /etc/alertmanager


def routes(*labels: str) -> set[str]:
    amtool = need("amtool")
    result = run(amtool, "config", "routes", "test", f"--config.file={CONFIG}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    return set(result.stdout.strip().split(","))


def test_amtool_check_config_passes_on_the_committed_file() -> None:
    amtool = need("amtool")
    result = run(amtool, "check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "3 receivers" in result.stdout
    assert "1 templates" in result.stdout


def test_a_page_reaches_slack_pagerduty_and_symphony() -> None:
    assert routes("alertname=SymphonyStoreWriteErrors", "severity=page", "store=audit") == {
        "slack_and_pd",
        "symphony",
    }
    assert routes("alertname=SymphonyExecuteLatencyBurn", "severity=page", "slo=x") == {
        "slack_and_pd",
        "symphony",
    }


def test_a_ticket_reaches_only_the_symphony_webhook() -> None:
    assert routes("alertname=SymphonyKillSwitchEngaged", "severity=ticket", "scope=all") == {
        "symphony"
    }


def test_symphony_down_pages_humans_but_is_not_sent_to_symphony() -> None:
    assert routes("alertname=SymphonyDown", "severity=page") == {"slack_and_pd"}
    assert routes("alertname=SymphonyMetricsAbsent", "severity=page") == {"slack_and_pd"}


@pytest.mark.parametrize("labels", [("severity=info",), ("alertname=Unlabelled",)])
def test_info_and_unlabelled_alerts_go_to_slack(labels: tuple[str, ...]) -> None:
    assert routes(*labels) == {"slack"}


def test_receivers_read_secrets_from_files_and_use_the_seed_slack_template() -> None:
    config = load_yaml(CONFIG)
    receivers = {r["name"]: r for r in config["receivers"]}
    text = CONFIG.read_text()
    assert "${" not in text, "Alertmanager does not expand environment variables"
    [slack] = receivers["slack_and_pd"]["slack_configs"]
    [pager] = receivers["slack_and_pd"]["pagerduty_configs"]
    [hook] = receivers["symphony"]["webhook_configs"]
    assert slack["api_url_file"] == f"{SECRETS}/slack_webhook_url"
    assert slack["channel"] == "#symphony-alerts"
    assert pager["routing_key_file"] == f"{SECRETS}/pagerduty_routing_key"
    assert hook["url"].endswith("/integrations/alertmanager")
    assert hook["send_resolved"] is True
    assert hook["http_config"]["authorization"]["credentials_file"] == f"{SECRETS}/symphony_api_key"
    assert receivers["slack"]["slack_configs"][0]["text"] == slack["text"]
    # A page and its ticket for the same SLO: the ticket is inhibited.
    [slo_rule] = [r for r in config["inhibit_rules"] if r.get("equal") == ["slo"]]
    assert 'severity="page"' in slo_rule["source_matchers"]
    assert 'severity="ticket"' in slo_rule["target_matchers"]


def test_the_slack_and_pagerduty_templates_render() -> None:
    amtool = need("amtool")
    text = (
        '{{ template "symphony.slack.title" . }}|{{ template "symphony.slack.text" . }}'
        '|{{ template "symphony.pagerduty.severity" . }}'
    )
    result = run(
        amtool,
        "template",
        "render",
        f"--template.glob={ALERTING / 'templates' / '*.tmpl'}",
        f"--template.text={text}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    title, body, severity = result.stdout.split("|")
    assert title.startswith("[Symphony] ")
    assert "*Model:* n/a" in body  # the seed's `default "n/a"`, as Go's `or`
    assert "*p95:* 0.95" in body
    assert severity.strip() == "warning"
