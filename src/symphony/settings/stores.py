"""Where shared state lives (issue 16): embedded by default, Redis and PostgreSQL to scale out."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from symphony.settings.base import EnvSettings


class SharedStoreSettings(EnvSettings):
    env_section: ClassVar[str] = "shared stores (scale-out)"

    redis_url: str = Field(
        "",
        description="redis://host:port/db for counters, reservations, rate limits, the kill"
        " switch and leases shared by every worker and replica; empty: in this process.",
    )
    database_url: str = Field(
        "",
        description="postgresql://user@host:port/db for the audit chain and API keys shared by"
        " every worker and replica (tables created at start); empty: SQLite in SYMPHONY_DATA_DIR.",
    )
    store_namespace: str = Field(
        "symphony",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="Redis key prefix and PostgreSQL schema: deployments sharing one server"
        " keep apart by using different names.",
    )
    store_timeout_s: float = Field(
        2.0,
        gt=0,
        le=30,
        description="Seconds before an unreachable Redis/PostgreSQL fails a request with 503.",
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://, rediss:// or unix:// (or empty)")
        return value

    @field_validator("database_url")
    @classmethod
    def _pg_scheme(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected postgresql:// (or empty)")
        return value

    @property
    def shared(self) -> bool:
        """Whether state is shared across processes (several workers are safe)."""
        return bool(self.redis_url and self.database_url)
