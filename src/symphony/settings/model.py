"""The service's settings: one small model per concern, joined flat into `Settings`.

Settings (bind address, files, secrets, limits) come from SYMPHONY_* variables and need a
restart; policy (models, quotas, windows, rules, tenants) is YAML and hot-reloads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from symphony.settings.base import CommaList, EnvSettings
from symphony.settings.stores import SharedStoreSettings

__all__ = [
    "DEFAULT_CORS",
    "DemoSettings",
    "Durability",
    "GovernanceMode",
    "JobsSettings",
    "McpSettings",
    "RuntimeSettings",
    "SecuritySettings",
    "ServiceSettings",
    "Settings",
    "SharedStoreSettings",
    "StateSettings",
]

GovernanceMode = Literal["development", "production"]
Durability = Literal["process", "power"]

DEFAULT_CORS = ("http://127.0.0.1:5173", "http://localhost:5173")


class ServiceSettings(EnvSettings):
    env_section: ClassVar[str] = "service"

    host: str = Field("127.0.0.1", description="Bind address; the Docker image serves on 0.0.0.0.")
    port: int = Field(8787, ge=0, le=65535, description="Port.")
    log_level: str = Field(
        "INFO", description="Log level: DEBUG, INFO, WARNING, ERROR, in any case."
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines: text | json (one JSON object per line, redacted, for log"
        " shippers).",
    )

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.strip().upper()
        if upper not in logging.getLevelNamesMapping():
            raise ValueError("expected DEBUG|INFO|WARNING|ERROR|CRITICAL")
        return upper


class StateSettings(EnvSettings):
    env_section: ClassVar[str] = "policy and state"

    policy_file: Path = Field(
        Path("config/router.policy.yml"),
        description="Routing policy: models, quotas, rules, tenants.",
    )
    windows_file: Path | None = Field(
        Path("config/model.windows.yml"),
        description="Power-window schedules; optional when left at the default.",
    )
    data_dir: Path = Field(
        Path("data"), description="Directory of the SQLite usage ledger and audit log."
    )
    durability: Durability = Field(
        "process",
        description="Ledger/audit durability: process (acknowledged writes survive kill -9)"
        " | power (fsync each commit: survive power loss, slower).",
    )
    watch_policy: bool = Field(
        True, description="Re-apply policy file edits within a second (watchfiles): true|false."
    )


class RuntimeSettings(EnvSettings):
    env_section: ClassVar[str] = "runtime"

    health_probe_interval_s: float = Field(
        15.0, gt=0, description="Seconds between background probes of every configured upstream."
    )
    health_probe_timeout_s: float = Field(
        1.5, gt=0, description="Seconds a health probe of one upstream may take."
    )
    event_buffer_size: int = Field(
        2048, ge=1, description="Events kept for SSE replay (Last-Event-ID) and late readers."
    )
    admission_ttl_s: float = Field(
        660.0,
        ge=1,
        le=86400,
        description="Seconds a reservation of window/budget units lives when nobody settles"
        " it (a crash): it counts its estimate until then. A call whose deadline is later"
        " holds its units until that deadline plus a minute.",
    )
    request_timeout_s: float = Field(
        300.0,
        ge=0.1,
        le=3600,
        description="Default overall deadline of one execution (every attempt, retry and"
        " stream included) when neither the request nor the policy sets `timeout_s`.",
    )
    body_read_timeout_s: float = Field(
        30.0,
        ge=0.1,
        le=3600,
        description="Seconds a client may take to send the request body it announced; then 408.",
    )
    max_upstream_response_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest upstream response (a whole completion, or a stream's total)"
        " read before the attempt fails with upstream_too_large.",
    )


class DemoSettings(EnvSettings):
    env_section: ClassVar[str] = "demo"

    demo: bool = Field(
        False,
        description="Demo mode: in-process provider simulator + config/demo.policy.yml,"
        " no real keys.",
    )
    simulator_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of the demo simulator; 0: 8788, or a free port when 8788 is busy.",
    )
    demo_data_dir: Path | None = Field(
        None,
        description="Data directory of demo mode, never shared with the real service's;"
        " empty: the data directory's demo/ subdirectory (./data/demo), or `serve --demo"
        " --data-dir DIR`.",
    )


class SecuritySettings(EnvSettings):
    env_section: ClassVar[str] = "security"

    auth_enabled: bool = Field(
        True,
        validation_alias="SYMPHONY_AUTH",
        description="Require API keys on every endpoint except SYMPHONY_PUBLIC_PATHS: true|false.",
    )
    public_paths: CommaList = Field(
        ("/status/health.json",),
        description="Comma-separated paths served without a key.",
    )
    metrics_token: str | None = Field(
        None,
        repr=False,
        description="Bearer token that may scrape GET /metrics without an API key (Prometheus"
        " `authorization: credentials_file`); unset: /metrics needs a key (status.read).",
    )
    metrics_public: bool = Field(
        False,
        description="Serve GET /metrics without a key or token: true|false. Only on a private"
        " network: the metrics name tenants, models and their cost.",
    )
    cors_origins: CommaList = Field(
        DEFAULT_CORS,
        description="Comma-separated browser origins allowed by CORS;"
        " the default is the console dev server on :5173.",
    )
    csp_script_src: CommaList = Field(
        (),
        description="Extra Content-Security-Policy script-src sources for the console,"
        " comma-separated.",
    )
    csp_connect_src: CommaList = Field(
        (),
        description="Extra Content-Security-Policy connect-src sources for the console,"
        " comma-separated.",
    )
    audit_hmac_secret: str | None = Field(
        None,
        repr=False,
        description="Secret that HMAC-signs the audit hash chain; unset: a plain SHA-256 chain."
        " Keep it secret.",
    )
    governance_mode: GovernanceMode = Field(
        "development",
        description="Governance: development (policy changes apply at once) | production"
        " (governed changes wait for approval).",
    )
    rate_limit_rps: float = Field(
        200.0, ge=0, description="Symphony's own request rate limit: sustained requests per second."
    )
    rate_limit_burst: int = Field(
        400, ge=0, description="Symphony's own request rate limit: burst."
    )
    body_limit_bytes: int = Field(
        2 * 1024 * 1024, ge=1, description="Largest request body accepted, in bytes."
    )


class McpSettings(EnvSettings):
    env_section: ClassVar[str] = "MCP server (/mcp/)"

    mcp_enabled: bool = Field(
        True, description="Serve the MCP server (Streamable HTTP, stateless) at /mcp/: true|false."
    )
    mcp_allowed_hosts: CommaList = Field(
        (),
        description="Host header values /mcp/ answers (DNS-rebinding protection), e.g."
        " symphony.example.com,10.0.0.5:*; empty: loopback names when SYMPHONY_HOST is"
        " loopback, else no Host check (API keys still apply).",
    )


class JobsSettings(EnvSettings):
    env_section: ClassVar[str] = "jobs (power-window queue)"

    jobs_enabled: bool = Field(
        True, description="Run the job worker in this process (POST /jobs works either way)."
    )
    jobs_poll_interval_s: float = Field(
        1.0, gt=0, description="Seconds between looks for due jobs (a submit wakes it at once)."
    )
    jobs_concurrency: int = Field(2, ge=1, le=64, description="Jobs one worker runs at once.")
    jobs_lease_s: float = Field(
        600.0,
        gt=0,
        description="Seconds a running job is leased; a job whose worker died runs again after.",
    )
    jobs_max_attempts: int = Field(
        3, ge=1, le=20, description="Runs of a job (crashes included) before it is dead."
    )
    jobs_retry_backoff_s: float = Field(
        30.0, ge=0, description="First retry delay after a failed run; doubles per attempt."
    )
    jobs_deadline_s: float = Field(
        86400.0,
        gt=0,
        description="Default deadline after a job's first scheduled run: waiting for a"
        " window past it fails the job with the reason.",
    )


# Bases in reverse: pydantic lists the last base's fields first (repr follows sections()).
class Settings(
    JobsSettings,
    SharedStoreSettings,
    McpSettings,
    SecuritySettings,
    DemoSettings,
    RuntimeSettings,
    StateSettings,
    ServiceSettings,
):
    """Every setting of the service, flat (`settings.data_dir`); read with `from_env()`."""

    @classmethod
    def sections(cls) -> tuple[type[EnvSettings], ...]:
        """The small models this one joins, in .env.example order."""
        return (
            ServiceSettings,
            StateSettings,
            RuntimeSettings,
            DemoSettings,
            SecuritySettings,
            McpSettings,
            JobsSettings,
            SharedStoreSettings,
        )
