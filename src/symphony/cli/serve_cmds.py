"""`symphony serve` and `symphony simulate`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from symphony.cli.common import add_data_option, add_policy_options, load_snapshot, settings_from

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
    try:
        load_snapshot(settings)  # fail fast with every policy error, before binding a port
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
    import os

    return bool(os.environ.get(name))


def run_simulate(args: argparse.Namespace) -> int:
    from symphony.simulator import run_simulator

    run_simulator(args.host, args.port, args.config)
    return 0
