"""GitHub settings from the environment: GITHUB_TOKEN, GITHUB_REPO, GITHUB_API_URL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from symphony.integrations.base import IntegrationStatus
from symphony.integrations.env import env_value, missing, why_off

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"  # dated REST versions; supported >= 24 months after the next
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class GitHubConfig:
    token: str | None = field(default=None, repr=False)
    repo: str | None = None  # owner/name
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str], default_repo: str | None = None) -> GitHubConfig:
        """GITHUB_REPO wins over the parity file's `github.repo` (`default_repo`)."""
        return cls(
            token=env_value(environ, "GITHUB_TOKEN"),
            repo=env_value(environ, "GITHUB_REPO") or default_repo,
            api_url=(env_value(environ, "GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        )

    @property
    def why_off(self) -> str | None:
        names = missing(
            {"GITHUB_TOKEN": self.token or "", "GITHUB_REPO": self.repo or ""},
            "GITHUB_TOKEN",
            "GITHUB_REPO",
        )
        if names:
            return why_off(names)
        if not REPO.match(self.repo or ""):
            return f"GITHUB_REPO '{self.repo}' is not owner/name"
        return None

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    def status(self) -> IntegrationStatus:
        return IntegrationStatus("github", self.enabled, self.why_off, self.repo)
