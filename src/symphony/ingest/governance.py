"""The policy's web rules as ingest applies them: `WebGovernance.admit` raises `Refused`.

The rules themselves (and their validation) are the policy's `web:` section
(`symphony.policy.web.WebPolicy`); this adds the refusal with its typed reason.
"""

from __future__ import annotations

from dataclasses import fields

from symphony.ingest.reasons import Reason, Refused
from symphony.policy.web import WebPolicy, WebSource, domain_matches

__all__ = ["WebGovernance", "WebSource", "admit", "domain_matches"]


def admit(gov: WebPolicy, url: str, host: str, port: int) -> None:
    """Raise Refused when the terms of service list, blocklist or allowlist forbid `url`."""
    refused = gov.refusal(url, host, port)
    if refused is not None:
        raise Refused(Reason(refused[0]), refused[1], url=url)


class WebGovernance(WebPolicy):
    """A WebPolicy that can refuse a URL itself (what the CLI and tests build directly)."""

    def admit(self, url: str, host: str, port: int) -> None:
        admit(self, url, host, port)

    @classmethod
    def of(cls, policy: WebPolicy) -> WebGovernance:
        """The same rules as `policy`, as a WebGovernance."""
        if isinstance(policy, WebGovernance):
            return policy
        return cls(**{f.name: getattr(policy, f.name) for f in fields(policy)})
