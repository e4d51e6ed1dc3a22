"""Process settings from the environment (SYMPHONY_*); changing them needs a restart."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

GovernanceMode = Literal["development", "production"]
Durability = Literal["process", "power"]

DEFAULT_CORS = ("http://127.0.0.1:5173", "http://localhost:5173")


def _split(value: str | None, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    if value is None:
        return default
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected a boolean, got {value!r}")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8787
    policy_file: Path = Path("config/router.policy.yml")
    windows_file: Path | None = Path("config/model.windows.yml")
    data_dir: Path = Path("data")
    durability: Durability = (
        "process"  # process: survives kill -9; power: fsync, survives power loss
    )
    demo: bool = False
    simulator_port: int = 0
    log_level: str = "INFO"
    # security
    auth_enabled: bool = True
    public_paths: tuple[str, ...] = ("/status/health.json", "/metrics")
    cors_origins: tuple[str, ...] = DEFAULT_CORS
    csp_script_src: tuple[str, ...] = ()
    csp_connect_src: tuple[str, ...] = ()
    audit_hmac_secret: str | None = field(default=None, repr=False)
    governance_mode: GovernanceMode = "development"
    rate_limit_rps: float = 200.0
    rate_limit_burst: int = 400
    body_limit_bytes: int = 2 * 1024 * 1024
    # runtime
    health_probe_interval_s: float = 15.0
    health_probe_timeout_s: float = 1.5
    watch_policy: bool = True
    event_buffer_size: int = 2048

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every SYMPHONY_* variable; unknown values raise with the variable's name."""
        env = os.environ if environ is None else environ
        base = cls()

        def get(name: str) -> str | None:
            value = env.get(f"SYMPHONY_{name}")
            return value if value not in (None, "") else None

        try:
            windows_raw = get("WINDOWS_FILE")
            durability = get("DURABILITY") or base.durability
            if durability not in ("process", "power"):
                raise ValueError(f"SYMPHONY_DURABILITY: expected process|power, got {durability!r}")
            mode = get("GOVERNANCE_MODE") or base.governance_mode
            if mode not in ("development", "production"):
                raise ValueError(f"expected development|production, got {mode!r}")
            return replace(
                base,
                host=get("HOST") or base.host,
                port=int(get("PORT") or base.port),
                policy_file=Path(get("POLICY_FILE") or base.policy_file),
                windows_file=Path(windows_raw) if windows_raw else base.windows_file,
                data_dir=Path(get("DATA_DIR") or base.data_dir),
                durability=durability,  # type: ignore[arg-type]
                demo=_bool(get("DEMO"), base.demo),
                simulator_port=int(get("SIMULATOR_PORT") or base.simulator_port),
                log_level=(get("LOG_LEVEL") or base.log_level).upper(),
                auth_enabled=_bool(get("AUTH"), base.auth_enabled),
                public_paths=_split(get("PUBLIC_PATHS"), base.public_paths),
                cors_origins=_split(get("CORS_ORIGINS"), base.cors_origins),
                csp_script_src=_split(get("CSP_SCRIPT_SRC")),
                csp_connect_src=_split(get("CSP_CONNECT_SRC")),
                audit_hmac_secret=get("AUDIT_HMAC_SECRET"),
                governance_mode=mode,  # type: ignore[arg-type]
                rate_limit_rps=float(get("RATE_LIMIT_RPS") or base.rate_limit_rps),
                rate_limit_burst=int(get("RATE_LIMIT_BURST") or base.rate_limit_burst),
                health_probe_interval_s=float(
                    get("HEALTH_PROBE_INTERVAL_S") or base.health_probe_interval_s
                ),
                watch_policy=_bool(get("WATCH_POLICY"), base.watch_policy),
            )
        except ValueError as exc:
            raise ValueError(f"invalid SYMPHONY_* setting: {exc}") from exc
