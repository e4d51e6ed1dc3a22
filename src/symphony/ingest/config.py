"""Ingest settings (env SYMPHONY_WEB_*): restart-time knobs; per-domain rules are policy.

Nothing is read at import. `load_settings(environ)` returns the web and RAG settings; a bad
value raises ValueError naming its variable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from symphony.ingest.envparse import env_meta, from_env
from symphony.rag.config import RagSettings

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


@dataclass(frozen=True)
class WebSettings:
    user_agent: str = field(
        default=DEFAULT_USER_AGENT,
        metadata=env_meta(
            "SYMPHONY_WEB_USER_AGENT",
            "User-Agent sent on every fetch; its first product token is matched in robots.txt",
        ),
    )
    allow_private: bool = field(
        default=False,
        metadata=env_meta(
            "SYMPHONY_WEB_ALLOW_PRIVATE",
            "1 lets fetches reach private/loopback/link-local/CGNAT addresses (never metadata)",
        ),
    )
    allow_private_targets: tuple[str, ...] = field(
        default=(),
        metadata=env_meta(
            "SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS",
            "comma list of exact ADDRESS:PORT pairs allowed although private (e.g. 127.0.0.1:8080)",
        ),
    )
    max_bytes: int = field(
        default=5 * 1024 * 1024,
        metadata=env_meta("SYMPHONY_WEB_MAX_BYTES", "largest response body read, in bytes"),
    )
    max_redirects: int = field(
        default=5, metadata=env_meta("SYMPHONY_WEB_MAX_REDIRECTS", "redirect hops followed")
    )
    browser_path: Path = field(
        default=Path("/usr/bin/chromium"),
        metadata=env_meta(
            "SYMPHONY_WEB_BROWSER_PATH",
            "Chromium executable Playwright drives (Playwright's own download is not used)",
        ),
    )
    snapshot_key_file: Path | None = field(
        default=None,
        metadata=env_meta(
            "SYMPHONY_WEB_SNAPSHOT_KEY_FILE",
            "Ed25519 PEM key signing snapshots (default <data_dir>/ingest/snapshot_ed25519.pem)",
        ),
    )
    robots_ttl_s: int = field(
        default=3600,
        metadata=env_meta(
            "SYMPHONY_WEB_ROBOTS_TTL_S", "seconds a robots.txt stays cached (at most 86400)"
        ),
    )
    concurrency: int = field(
        default=4, metadata=env_meta("SYMPHONY_WEB_CONCURRENCY", "fetches in flight at once")
    )

    def __post_init__(self) -> None:
        if self.max_bytes < 1024:
            raise ValueError("SYMPHONY_WEB_MAX_BYTES: must be at least 1024")
        if not 0 <= self.max_redirects <= 20:
            raise ValueError("SYMPHONY_WEB_MAX_REDIRECTS: must be 0..20")
        if not 1 <= self.robots_ttl_s <= 86_400:
            # RFC 9309 2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours.
            raise ValueError("SYMPHONY_WEB_ROBOTS_TTL_S: must be 1..86400 (RFC 9309 §2.4)")
        if not 1 <= self.concurrency <= 32:
            raise ValueError("SYMPHONY_WEB_CONCURRENCY: must be 1..32")
        for target in self.allow_private_targets:
            _check_target(target)

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against (RFC 9309 §2.2.1)."""
        token = self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else ""
        return token or "SymphonyBot"


def _check_target(target: str) -> None:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(
            f"SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS: {target!r} is not ADDRESS:PORT "
            "(IPv6 as [::1]:8080)"
        )


def load_settings(environ: Mapping[str, str]) -> tuple[WebSettings, RagSettings]:
    """Read SYMPHONY_WEB_* and SYMPHONY_RAG_* (the stack builder logs relaxed guards)."""
    return from_env(WebSettings, environ), from_env(RagSettings, environ)


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
