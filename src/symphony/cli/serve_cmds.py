"""`symphony serve` and `symphony simulate`."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from typing import Any

from symphony.cli.common import (
    add_data_option,
    add_policy_options,
    load_snapshot,
    own_windows,
    settings_from,
)
from symphony.settings import Settings
from symphony.settings.config_files import DEMO_POLICY, resolve_config

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SIMULATOR_HOST = "127.0.0.1"
SIMULATOR_PORT = 8788  # demo mode's default; a busy one gives way to a free port


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the Symphony service (default 127.0.0.1:8787)")
    serve.add_argument("--host", default=None, help="bind address (env SYMPHONY_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (env SYMPHONY_PORT)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="in-process simulator + config/demo.policy.yml, data in ./data/demo (or"
        " --data-dir, SYMPHONY_DEMO_DATA_DIR); no keys needed",
    )
    serve.add_argument(
        "--simulator-port",
        type=int,
        default=None,
        help=f"demo simulator port (default {SIMULATOR_PORT}, or a free one when it is busy)",
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
    simulate.add_argument("--port", type=int, default=SIMULATOR_PORT)
    simulate.add_argument(
        "--config",
        default=None,
        help="simulator YAML (default: built-in models, see config/simulator.yml)",
    )
    simulate.set_defaults(handler=run_simulate)


class StartError(Exception):
    """A reason not to start, said in one line."""


def serve_settings(args: argparse.Namespace, notes: list[str]) -> Settings:
    """The settings `serve` runs with: demo mode's policy, data directory and simulator port
    chosen here; `notes` collects what the operator should read at start."""
    settings = settings_from(args)
    if args.host:
        settings = settings.replace(host=args.host)
    if args.port:
        settings = settings.replace(port=args.port)
    if not (args.demo or settings.demo):
        return settings
    changes: dict[str, Any] = {"demo": True}
    if not args.policy and not _env_set("SYMPHONY_POLICY_FILE"):
        changes["policy_file"], changes["windows_file"] = resolve_config(
            DEMO_POLICY, settings.windows_file
        )
    # --data-dir names the demo's own directory; SYMPHONY_DATA_DIR is the real service's,
    # so the demo keeps to its demo/ subdirectory (or SYMPHONY_DEMO_DATA_DIR).
    if args.data_dir:
        data_dir = settings.data_dir
    else:
        data_dir = settings.demo_data_dir or settings.data_dir / "demo"
    changes["data_dir"] = data_dir
    notes.append(f"demo: data in {data_dir} (never read by a real service)")
    changes["simulator_port"] = _simulator_port(
        args.simulator_port or settings.simulator_port, notes
    )
    host = settings.host
    if host in LOOPBACK and not _env_set("SYMPHONY_AUTH"):
        changes["auth_enabled"] = False
    elif settings.auth_enabled:
        notes.append(
            f"demo on {host}: authentication is ON (not a loopback address), every call needs"
            f" a key; create one: symphony keys create --role admin --name me"
            f" --data-dir {data_dir}"
        )
    return settings.replace(**changes)


def _simulator_port(asked: int, notes: list[str]) -> int:
    """The asked port when free (else StartError), or the default when free, or 0 (any)."""
    from symphony.kit.ports import port_free

    if asked:
        if not port_free(SIMULATOR_HOST, asked):
            raise StartError(
                f"simulator port {asked} is in use: choose another with --simulator-port"
                " (env SYMPHONY_SIMULATOR_PORT), or leave it unset to take a free one"
            )
        return asked
    if port_free(SIMULATOR_HOST, SIMULATOR_PORT):
        return SIMULATOR_PORT
    notes.append(
        f"demo: simulator port {SIMULATOR_PORT} is busy; the simulator takes a free port"
        " (logged below; pin one with --simulator-port)"
    )
    return 0


def _listen(settings: Settings) -> socket.socket:
    from symphony.kit.ports import listen_socket

    try:
        return listen_socket(settings.host, settings.port)
    except OSError as exc:
        raise StartError(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}):"
            " choose another port with --port (env SYMPHONY_PORT)"
        ) from exc


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from symphony.app import create_app
    from symphony.errors import DataDirError, PolicyError
    from symphony.kit.logs import configure_logging
    from symphony.store.datadir import claim_data_dir

    notes: list[str] = []
    try:
        settings = serve_settings(args, notes)
        settings = own_windows(args, settings, notes)
        _check_workers(args.workers, settings)
        load_snapshot(settings)  # fail fast with every policy error, before binding a port
        claim_data_dir(settings.data_dir, demo=settings.demo)
        sock = _listen(settings)
    except PolicyError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 1
    except (StartError, DataDirError) as exc:
        print(f"symphony: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    _announce(settings, notes, sock.getsockname()[1])
    if args.workers > 1:
        _run_workers(args, settings, sock)
        return 0
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # json: uvicorn's loggers reach the root handler, so they are JSON (and redacted) too
        log_config=None if settings.log_format == "json" else LOGGING_CONFIG,
        access_log=args.access_log,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _announce(settings: Settings, notes: list[str], port: int) -> None:
    """The start lines: on stderr as they are, or as JSON log records (SYMPHONY_LOG_FORMAT=
    json: every line a log shipper reads is one JSON object)."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    lines = [*notes, f"symphony: serving on http://{host}:{port}"]
    off = settings.demo and not settings.auth_enabled
    warning = "DEMO MODE: authentication is OFF (loopback only). Simulated upstreams, no real keys."
    if settings.log_format == "json":
        log = logging.getLogger("symphony")
        if off:
            log.warning(warning)
        for line in lines:
            log.info(line)
        return
    if off:
        banner = "!" * 78
        lines.insert(0, f"{banner}\n!! {warning}\n{banner}")
    print("\n".join(lines), file=sys.stderr)


def _check_workers(workers: int, settings: Settings) -> None:
    """Refuse N > 1 workers on embedded stores: every worker would count its own caps."""
    if workers < 1:
        raise StartError(f"--workers must be at least 1, got {workers}")
    if workers == 1 or settings.shared:
        return
    missing = [
        name
        for name, value in (
            ("SYMPHONY_REDIS_URL", settings.redis_url),
            ("SYMPHONY_DATABASE_URL", settings.database_url),
        )
        if not value
    ]
    raise StartError(
        f"serve --workers {workers} needs shared stores: set {' and '.join(missing)}."
        f" With the embedded stores every worker would keep its own counters, so a cap of"
        f" 50 would admit up to {50 * workers}."
    )


def _run_workers(args: argparse.Namespace, settings: Settings, sock: socket.socket) -> None:
    """uvicorn worker processes on `sock`, each building its app from the environment:
    the settings the command line changed travel as SYMPHONY_* variables (demo: one
    simulator per worker, each on a free port)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if settings.demo:
        settings = settings.replace(simulator_port=0)
    os.environ.update(settings_env(settings, Settings.from_env(os.environ)))
    config = uvicorn.Config(
        "symphony.app:create_app",
        factory=True,
        workers=args.workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=args.access_log,
        timeout_graceful_shutdown=5,
    )
    Multiprocess(config, sockets=[sock]).run()


def settings_env(settings: Settings, base: Settings) -> dict[str, str]:
    """SYMPHONY_* variables that turn `base` into `settings` in a new process."""
    out: dict[str, str] = {}
    for field, variable, _info in Settings.env_fields():
        value = getattr(settings, field)
        if value == getattr(base, field) or value is None:
            continue
        if isinstance(value, bool):
            out[variable] = "true" if value else "false"
        elif isinstance(value, tuple | list):
            out[variable] = ",".join(str(v) for v in value)
        else:
            out[variable] = str(value)
    return out


def _env_set(name: str) -> bool:
    return bool(os.environ.get(name))


def run_simulate(args: argparse.Namespace) -> int:
    from symphony.kit.ports import port_free
    from symphony.simulator import run_simulator

    if not port_free(args.host, args.port):
        print(
            f"symphony: cannot listen on {args.host}:{args.port} (in use):"
            " choose another port with --port",
            file=sys.stderr,
        )
        return 2
    run_simulator(args.host, args.port, args.config)
    return 0


__all__ = ["SIMULATOR_PORT", "register", "run_serve", "serve_settings"]
