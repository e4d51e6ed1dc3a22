"""Ingest settings (env SYMPHONY_WEB_*): restart-time knobs; per-domain rules are policy.

Nothing is read at import. `load_settings(environ)` returns the web and RAG settings; a bad
value raises SettingsError (a ValueError) naming its variable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from symphony.rag.config import RagSettings
from symphony.settings import CommaList, EnvSettings

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "SymphonyBot/0.1 (+https://github.com/symphony/symphony; web ingest)"
BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class WebSettings(EnvSettings):
    """Web ingest's restart-time knobs; per-domain rules are the policy's `web:` section."""

    model_config = SettingsConfigDict(env_prefix="SYMPHONY_WEB_")
    env_section: ClassVar[str] = "web ingest (SYMPHONY_WEB_*)"

    user_agent: str = Field(
        DEFAULT_USER_AGENT,
        description="User-Agent sent on every fetch; its first product token is matched in "
        "robots.txt",
    )
    allow_private: bool = Field(
        False,
        description="Let fetches reach private/loopback/link-local/CGNAT addresses (never "
        "cloud metadata); logged loudly at start when on",
    )
    allow_private_targets: CommaList = Field(
        (),
        description="Comma list of exact ADDRESS:PORT pairs allowed although private "
        "(e.g. 127.0.0.1:8080; IPv6 as [::1]:8080)",
    )
    max_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Largest response body read, in bytes"
    )
    max_redirects: int = Field(5, ge=0, le=20, description="Redirect hops followed")
    browser_path: Path = Field(
        Path("/usr/bin/chromium"),
        description="Chromium executable Playwright drives (Playwright's own download is not used)",
    )
    snapshot_key_file: Path | None = Field(
        None,
        description="Ed25519 PEM key signing snapshots (default "
        "<data_dir>/ingest/snapshot_ed25519.pem)",
    )
    # RFC 9309 2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours.
    robots_ttl_s: int = Field(
        3600, ge=1, le=86_400, description="Seconds a robots.txt stays cached (RFC 9309 §2.4)"
    )
    concurrency: int = Field(4, ge=1, le=32, description="Fetches in flight at once")
    refresh_check_s: float = Field(
        30.0,
        ge=0.05,
        le=3600,
        description="How often the server checks whether a policy web source is due for its "
        "scheduled refresh (and records source staleness)",
    )

    @field_validator("allow_private_targets")
    @classmethod
    def _targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for target in value:
            host, sep, port = target.rpartition(":")
            if not sep or not port.isdigit() or not host:
                raise ValueError(f"{target!r} is not ADDRESS:PORT (IPv6 as [::1]:8080)")
        return value

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against (RFC 9309 §2.2.1)."""
        token = self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else ""
        return token or "SymphonyBot"


def load_settings(environ: Mapping[str, str]) -> tuple[WebSettings, RagSettings]:
    """Read SYMPHONY_WEB_* and SYMPHONY_RAG_* (the stack builder logs relaxed guards)."""
    return WebSettings.from_env(environ), RagSettings.from_env(environ)


def announce(web: WebSettings) -> None:
    """Log at WARNING when the SSRF guard is relaxed, so nobody runs that way unknowingly."""
    if web.allow_private:
        log.warning(
            "SYMPHONY_WEB_ALLOW_PRIVATE=1: web ingest may fetch private, loopback and "
            "link-local addresses (SSRF guard relaxed; cloud metadata stays refused)"
        )
    if web.allow_private_targets:
        log.warning(
            "SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS: web ingest may fetch these private targets: %s",
            ", ".join(web.allow_private_targets),
        )
