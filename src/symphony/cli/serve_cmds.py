"""`symphony serve` and `symphony simulate`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from symphony.cli.common import add_data_option, add_policy_options, load_snapshot, settings_from
from symphony.settings import Settings

DEMO_POLICY = Path("config/demo.policy.yml")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the Symphony service (default 127.0.0.1:8787)")
    serve.add_argument("--host", default=None, help="bind address (env SYMPHONY_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (env SYMPHONY_PORT)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="in-process simulator + config/demo.policy.yml; no keys needed",
    )
    serve.add_argument(
        "--simulator-port", type=int, default=None, help="demo simulator port (default 8788)"
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (off by default: hot path)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on one port (N > 1 needs SYMPHONY_REDIS_URL and"
        " SYMPHONY_DATABASE_URL: shared counters, audit and keys)",
    )
    add_policy_options(serve)
    add_data_option(serve)
    serve.set_defaults(handler=run_serve)

    simulate = sub.add_parser(
        "simulate",
        help="run the provider simulator (fake OpenAI/Anthropic/Gemini/Ollama upstreams)",
    )
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8788)
    simulate.add_argument(
        "--config",
        default=None,
        help="simulator YAML (default: built-in models, see config/simulator.yml)",
    )
    simulate.set_defaults(handler=run_simulate)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from symphony.app import create_app
    from symphony.errors import PolicyError

    settings = settings_from(args)
    changes: dict[str, Any] = {}
    if args.host:
        changes["host"] = args.host
    if args.port:
        changes["port"] = args.port
    if args.demo or settings.demo:
        changes["demo"] = True
        if not args.policy and settings.policy_file == Path("config/router.policy.yml"):
            changes["policy_file"] = DEMO_POLICY
        changes["simulator_port"] = args.simulator_port or settings.simulator_port or 8788
        host = changes.get("host", settings.host)
        if host in LOOPBACK and not _env_set("SYMPHONY_AUTH"):
            changes["auth_enabled"] = False
    settings = settings.replace(**changes)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.demo and not settings.auth_enabled:
        banner = "!" * 78
        print(
            f"{banner}\n!! DEMO MODE: authentication is OFF (loopback only)."
            f" Simulated upstreams, no real keys.\n{banner}",
            file=sys.stderr,
        )
    if args.workers < 1:
        print(f"--workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    if args.workers > 1 and not settings.shared:
        missing = [
            name
            for name, value in (
                ("SYMPHONY_REDIS_URL", settings.redis_url),
                ("SYMPHONY_DATABASE_URL", settings.database_url),
            )
            if not value
        ]
        print(
            f"symphony serve --workers {args.workers} needs shared stores: set"
            f" {' and '.join(missing)}. With the embedded stores every worker would keep its"
            f" own counters, so a cap of 50 would admit up to {50 * args.workers}.",
            file=sys.stderr,
        )
        return 2
    try:
        load_snapshot(settings)  # fail fast with every policy error, before binding a port
        if args.workers > 1:
            # Workers are new processes that build their own app from the environment:
            # hand them what the command line changed. Demo simulators: one per worker.
            if settings.demo:
                changes["simulator_port"] = 0
            os.environ.update(settings_env({**_cli_overrides(args), **changes}))
            uvicorn.run(
                "symphony.app:create_app",
                factory=True,
                workers=args.workers,
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.lower(),
                access_log=args.access_log,
                timeout_graceful_shutdown=5,
            )
            return 0
        app = create_app(settings)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=args.access_log,
            loop="auto",
            http="auto",
            timeout_graceful_shutdown=5,
        )
    except PolicyError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 1
    return 0


def _env_set(name: str) -> bool:
    return bool(os.environ.get(name))


def _cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option, field in (("policy", "policy_file"), ("windows", "windows_file")):
        if getattr(args, option, None):
            out[field] = Path(getattr(args, option))
    if getattr(args, "data_dir", None):
        out["data_dir"] = Path(args.data_dir)
    return out


def settings_env(changes: dict[str, Any]) -> dict[str, str]:
    """SYMPHONY_* variables that reproduce `changes` (field -> value) in a new process."""
    names = {field: variable for field, variable, _info in Settings.env_fields()}
    out: dict[str, str] = {}
    for field, value in changes.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, tuple | list):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        out[names[field]] = text
    return out


def run_simulate(args: argparse.Namespace) -> int:
    from symphony.simulator import run_simulator

    run_simulator(args.host, args.port, args.config)
    return 0
