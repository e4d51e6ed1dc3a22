"""Process settings from the environment (SYMPHONY_*); changing them needs a restart.

`Settings()` is the defaults (plus what you pass); `Settings.from_env()` reads the
environment; `settings.replace(data_dir=...)` is a validated copy. `.env.example` is
generated from these models (`symphony settings env-example`).
"""

from __future__ import annotations

from symphony.settings.base import ENV_PREFIX, CommaList, EnvSettings, SettingsError
from symphony.settings.model import (
    DEFAULT_CORS,
    DemoSettings,
    Durability,
    GovernanceMode,
    JobsSettings,
    McpSettings,
    RuntimeSettings,
    SecuritySettings,
    ServiceSettings,
    Settings,
    StateSettings,
)

__all__ = [
    "DEFAULT_CORS",
    "ENV_PREFIX",
    "CommaList",
    "DemoSettings",
    "Durability",
    "EnvSettings",
    "GovernanceMode",
    "JobsSettings",
    "McpSettings",
    "RuntimeSettings",
    "SecuritySettings",
    "ServiceSettings",
    "Settings",
    "SettingsError",
    "StateSettings",
]
