"""Settings: one typed model, every field from SYMPHONY_*, frozen, errors that name the variable."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field, ValidationError

from symphony.cli import main
from symphony.settings import EnvSettings, Settings, SettingsError

# The defaults as they were before the typed model (a change here is a user-visible change).
DEFAULTS = {
    "host": "127.0.0.1",
    "port": 8787,
    "policy_file": Path("config/router.policy.yml"),
    "windows_file": Path("config/model.windows.yml"),
    "data_dir": Path("data"),
    "durability": "process",
    "demo": False,
    "simulator_port": 0,
    "demo_data_dir": None,
    "log_level": "INFO",
    "log_format": "text",
    "auth_enabled": True,
    "public_paths": ("/status/health.json",),
    "metrics_token": None,
    "metrics_public": False,
    "cors_origins": ("http://127.0.0.1:5173", "http://localhost:5173"),
    "csp_script_src": (),
    "csp_connect_src": (),
    "audit_hmac_secret": None,
    "governance_mode": "development",
    "rate_limit_rps": 200.0,
    "rate_limit_burst": 400,
    "body_limit_bytes": 2 * 1024 * 1024,
    "health_probe_interval_s": 15.0,
    "health_probe_timeout_s": 1.5,
    "watch_policy": True,
    "event_buffer_size": 2048,
    "admission_ttl_s": 660.0,
    "request_timeout_s": 300.0,
    "body_read_timeout_s": 30.0,
    "max_upstream_response_bytes": 16 * 1024 * 1024,
    "mcp_enabled": True,
    "mcp_allowed_hosts": (),
    "jobs_enabled": True,
    "jobs_poll_interval_s": 1.0,
    "jobs_concurrency": 2,
    "jobs_lease_s": 600.0,
    "jobs_max_attempts": 3,
    "jobs_retry_backoff_s": 30.0,
    "jobs_deadline_s": 86400.0,
    "redis_url": "",
    "database_url": "",
    "store_namespace": "symphony",
    "store_timeout_s": 2.0,
}


def test_defaults_are_unchanged() -> None:
    settings = Settings()
    assert {name: getattr(settings, name) for name in Settings.model_fields} == DEFAULTS


def test_construction_never_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMPHONY_PORT", "9999")
    assert Settings().port == 8787
    assert Settings.from_env().port == 9999


def test_every_field_is_described_and_settable_from_the_environment() -> None:
    for name, variable, info in Settings.env_fields():
        assert info.description, f"{name} has no description"
        assert variable.startswith("SYMPHONY_")
    environ = {
        "SYMPHONY_HOST": "0.0.0.0",
        "SYMPHONY_PORT": "9000",
        "SYMPHONY_POLICY_FILE": "/etc/symphony/policy.yml",
        "SYMPHONY_WINDOWS_FILE": "/etc/symphony/windows.yml",
        "SYMPHONY_DATA_DIR": "/var/lib/symphony",
        "SYMPHONY_DURABILITY": "power",
        "SYMPHONY_DEMO": "yes",
        "SYMPHONY_SIMULATOR_PORT": "8788",
        "SYMPHONY_DEMO_DATA_DIR": "/tmp/symphony-demo",
        "SYMPHONY_LOG_LEVEL": "debug",
        "SYMPHONY_LOG_FORMAT": "JSON",
        "SYMPHONY_AUTH": "off",
        "SYMPHONY_PUBLIC_PATHS": "/status/health.json",
        "SYMPHONY_METRICS_TOKEN": "scrape-token",
        "SYMPHONY_METRICS_PUBLIC": "true",
        "SYMPHONY_CORS_ORIGINS": " https://a.example , https://b.example,",
        "SYMPHONY_CSP_SCRIPT_SRC": "https://cdn.example",
        "SYMPHONY_CSP_CONNECT_SRC": "wss://events.example",
        "SYMPHONY_AUDIT_HMAC_SECRET": "s3cret-value",
        "SYMPHONY_GOVERNANCE_MODE": "production",
        "SYMPHONY_RATE_LIMIT_RPS": "12.5",
        "SYMPHONY_RATE_LIMIT_BURST": "25",
        "SYMPHONY_BODY_LIMIT_BYTES": "1024",
        "SYMPHONY_HEALTH_PROBE_INTERVAL_S": "30",
        "SYMPHONY_HEALTH_PROBE_TIMEOUT_S": "2.5",
        "SYMPHONY_WATCH_POLICY": "false",
        "SYMPHONY_EVENT_BUFFER_SIZE": "64",
        "SYMPHONY_ADMISSION_TTL_S": "120",
        "SYMPHONY_REQUEST_TIMEOUT_S": "90",
        "SYMPHONY_BODY_READ_TIMEOUT_S": "5",
        "SYMPHONY_MAX_UPSTREAM_RESPONSE_BYTES": "65536",
        "SYMPHONY_MCP_ENABLED": "false",
        "SYMPHONY_MCP_ALLOWED_HOSTS": "symphony.example.com, 10.0.0.5:*",
        "SYMPHONY_JOBS_ENABLED": "false",
        "SYMPHONY_JOBS_POLL_INTERVAL_S": "0.5",
        "SYMPHONY_JOBS_CONCURRENCY": "4",
        "SYMPHONY_JOBS_LEASE_S": "60",
        "SYMPHONY_JOBS_MAX_ATTEMPTS": "5",
        "SYMPHONY_JOBS_RETRY_BACKOFF_S": "2",
        "SYMPHONY_JOBS_DEADLINE_S": "3600",
        "SYMPHONY_REDIS_URL": "redis://cache:6379/2",
        "SYMPHONY_DATABASE_URL": "postgresql://app@db:5432/symphony",
        "SYMPHONY_STORE_NAMESPACE": "prod_eu",
        "SYMPHONY_STORE_TIMEOUT_S": "1.5",
    }
    assert set(environ) == {variable for _n, variable, _i in Settings.env_fields()}
    settings = Settings.from_env(environ)
    changed = {name: getattr(settings, name) for name in Settings.model_fields}
    assert changed == {
        "host": "0.0.0.0",
        "port": 9000,
        "policy_file": Path("/etc/symphony/policy.yml"),
        "windows_file": Path("/etc/symphony/windows.yml"),
        "data_dir": Path("/var/lib/symphony"),
        "durability": "power",
        "demo": True,
        "simulator_port": 8788,
        "demo_data_dir": Path("/tmp/symphony-demo"),
        "log_level": "DEBUG",
        "log_format": "json",
        "auth_enabled": False,
        "public_paths": ("/status/health.json",),
        "metrics_token": "scrape-token",
        "metrics_public": True,
        "cors_origins": ("https://a.example", "https://b.example"),
        "csp_script_src": ("https://cdn.example",),
        "csp_connect_src": ("wss://events.example",),
        "audit_hmac_secret": "s3cret-value",
        "governance_mode": "production",
        "rate_limit_rps": 12.5,
        "rate_limit_burst": 25,
        "body_limit_bytes": 1024,
        "health_probe_interval_s": 30.0,
        "health_probe_timeout_s": 2.5,
        "watch_policy": False,
        "event_buffer_size": 64,
        "admission_ttl_s": 120.0,
        "request_timeout_s": 90.0,
        "body_read_timeout_s": 5.0,
        "max_upstream_response_bytes": 65536,
        "mcp_enabled": False,
        "mcp_allowed_hosts": ("symphony.example.com", "10.0.0.5:*"),
        "jobs_enabled": False,
        "jobs_poll_interval_s": 0.5,
        "jobs_concurrency": 4,
        "jobs_lease_s": 60.0,
        "jobs_max_attempts": 5,
        "jobs_retry_backoff_s": 2.0,
        "jobs_deadline_s": 3600.0,
        "redis_url": "redis://cache:6379/2",
        "database_url": "postgresql://app@db:5432/symphony",
        "store_namespace": "prod_eu",
        "store_timeout_s": 1.5,
    }


def test_empty_and_lower_case_variables_mean_the_default() -> None:
    settings = Settings.from_env(
        {"SYMPHONY_PORT": "", "SYMPHONY_WINDOWS_FILE": "", "symphony_host": "0.0.0.0"}
    )
    assert settings.port == 8787
    assert settings.windows_file == DEFAULTS["windows_file"]
    assert settings.host == "127.0.0.1"


def test_an_invalid_value_names_its_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SYMPHONY_DURABILITY": "x"})
    assert str(caught.value) == (
        "invalid SYMPHONY_* setting: SYMPHONY_DURABILITY: expected process|power, got 'x'"
    )
    assert isinstance(caught.value, ValueError)  # callers that caught ValueError still do


def test_every_invalid_value_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "SYMPHONY_PORT": "eighty",
                "SYMPHONY_AUTH": "maybe",
                "SYMPHONY_GOVERNANCE_MODE": "lax",
                "SYMPHONY_LOG_LEVEL": "loud",
            }
        )
    problems = caught.value.problems
    assert len(problems) == 4
    assert any(p.startswith("SYMPHONY_PORT: expected a valid integer") for p in problems)
    assert any(p.startswith("SYMPHONY_AUTH: expected a valid boolean") for p in problems)
    assert "SYMPHONY_GOVERNANCE_MODE: expected development|production, got 'lax'" in problems
    assert any(p.startswith("SYMPHONY_LOG_LEVEL:") and "'loud'" in p for p in problems)


def test_settings_are_frozen_and_replace_validates() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
    moved = settings.replace(data_dir="/tmp/elsewhere", auth_enabled=False)
    assert moved.data_dir == Path("/tmp/elsewhere")
    assert moved.auth_enabled is False
    assert settings.data_dir == Path("data")
    with pytest.raises(SettingsError, match="SYMPHONY_PORT"):
        settings.replace(port=70_000)
    with pytest.raises(TypeError, match="no setting dta_dir"):
        settings.replace(dta_dir="x")


def test_the_audit_secret_is_not_in_the_repr() -> None:
    settings = Settings(audit_hmac_secret="s3cret-value")
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings)
    assert settings.audit_hmac_secret == "s3cret-value"


class IncidentSettings(EnvSettings):
    """What a new subsystem writes: a small model with the shared prefix and behaviour."""

    env_section: ClassVar[str] = "incidents"
    slo_window_s: float = Field(300.0, gt=0, description="Seconds each SLO is evaluated over.")
    channels: tuple[str, ...] = Field((), description="Comma-separated chat channels.")


def test_a_subsystem_model_reads_its_own_variables() -> None:
    settings = IncidentSettings.from_env({"SYMPHONY_SLO_WINDOW_S": "60"})
    assert settings.slo_window_s == 60.0
    with pytest.raises(
        SettingsError, match="SYMPHONY_SLO_WINDOW_S: expected greater than 0, got '-1'"
    ):
        IncidentSettings.from_env({"SYMPHONY_SLO_WINDOW_S": "-1"})


def test_the_cli_names_a_bad_variable_instead_of_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("SYMPHONY_DURABILITY", "sometimes")
    assert main(["plan", "--task", "qa", "--data-dir", str(tmp_path)]) == 2
    assert "SYMPHONY_DURABILITY: expected process|power, got 'sometimes'" in capsys.readouterr().err
