"""All four vendor fakes behind one httpx transport (routed by host), with the environment
that points the real clients at them: for tests, and for `--demo` as in-process stand-ins
that record what they received."""

from __future__ import annotations

from typing import Any

import httpx

from symphony.integrations.github.fake import FakeGitHub
from symphony.integrations.jira.fake import FakeJira
from symphony.integrations.pagerduty.fake import FakePagerDuty
from symphony.integrations.slack.fake import FakeSlack

HOSTS = {
    "github": "github.fake",
    "jira": "jira.fake",
    "slack": "hooks.slack.fake",
    "pagerduty": "events.pagerduty.fake",
}


class FakeStack:
    def __init__(self) -> None:
        self.github = FakeGitHub()
        self.jira = FakeJira(site=f"http://{HOSTS['jira']}")
        self.slack = FakeSlack()
        self.pagerduty = FakePagerDuty()
        self._transports = {
            HOSTS["github"]: self.github.transport(),
            HOSTS["jira"]: self.jira.transport(),
            HOSTS["slack"]: self.slack.transport(),
            HOSTS["pagerduty"]: self.pagerduty.transport(),
        }

    def environ(self) -> dict[str, str]:
        """Environment variables that turn all four integrations on, against the fakes."""
        return {
            "GITHUB_TOKEN": self.github.token,
            "GITHUB_REPO": self.github.repo,
            "GITHUB_API_URL": f"http://{HOSTS['github']}",
            "JIRA_BASE_URL": f"http://{HOSTS['jira']}",
            "JIRA_EMAIL": "bot@example.com",
            "JIRA_API_TOKEN": "jira-token",
            "SLACK_WEBHOOK_URL": f"http://{HOSTS['slack']}{self.slack.path}",
            "PAGERDUTY_ROUTING_KEY": self.pagerduty.routing_keys[0],
            "PAGERDUTY_EVENTS_URL": f"http://{HOSTS['pagerduty']}/v2/enqueue",
        }

    def transport(self) -> httpx.AsyncBaseTransport:
        stack = self

        class _Router(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                target = stack._transports.get(request.url.host)
                if target is None:
                    return httpx.Response(502, text=f"no fake for host {request.url.host}")
                return await target.handle_async_request(request)

        return _Router()

    def http_client(self, timeout_s: float = 5.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), timeout=timeout_s)

    def received(self) -> dict[str, list[dict[str, Any]]]:
        """What the fakes hold now: issues, Jira issues, Slack messages, PagerDuty events."""
        return {
            "github": [
                {
                    "number": i.number,
                    "title": i.title,
                    "state": i.state,
                    "labels": list(i.labels),
                    "comments": len(i.comments),
                    "url": self.github.url(i.number),
                }
                for i in self.github.issues.values()
            ],
            "jira": [
                {
                    "key": j.key,
                    "summary": j.fields.get("summary"),
                    "status": j.status.name,
                    "comments": len(j.comments),
                    "remote_links": len(j.remote_links),
                }
                for j in self.jira.issues.values()
            ],
            "slack": [dict(m) for m in self.slack.messages],
            "pagerduty": [dict(e) for e in self.pagerduty.events],
        }
