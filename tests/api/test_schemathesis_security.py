"""Schemathesis against /openapi.json, in-process over ASGI, auth ON (demo simulator upstreams).

With a valid admin key no generated request may get a 5xx, and every response must be one
its operation declares (status, content type, body schema); without a key no protected
operation may answer 2xx. `/events` is excluded (an endless stream).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from symphony.api.permissions import PUBLIC, PUBLIC_PREFIXES, ROUTE_PERMISSIONS
from symphony.app import create_app
from symphony.clock import SystemClock
from symphony.security.keys import KeyStore
from symphony.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_PATHS = {"/status/health.json"} | {
    key.split(" ", 1)[1] for key, perm in ROUTE_PERMISSIONS.items() if perm == PUBLIC
}
EXCLUDED = {"/events"}  # an endless stream
# SYMPHONY_FUZZ_EXAMPLES raises the cases per operation and mode for a measurement run
# (the README's figure); CI runs 12.
FUZZ = settings(
    max_examples=int(os.environ.get("SYMPHONY_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture(scope="module")
def admin_secret(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _setup(tmp_path_factory.mktemp("schemathesis"))


_STATE: dict[str, Any] = {}


def _setup(tmp: Path) -> str:
    policy = tmp / "demo.policy.yml"
    shutil.copy(ROOT / "config" / "demo.policy.yml", policy)
    data = tmp / "data"
    store = KeyStore.open(data, SystemClock())
    try:
        _, secret = store.create(name="fuzz-admin", role="admin")
    finally:
        store.close()
    _STATE["settings"] = Settings().replace(
        demo=True,
        simulator_port=0,
        policy_file=policy,
        windows_file=None,
        data_dir=data,
        auth_enabled=True,
        rate_limit_rps=0,  # the fuzzer is one fast caller: measure behaviour, not the limiter
        watch_policy=False,
        health_probe_interval_s=3600,
        health_probe_timeout_s=0.2,
    )
    return secret


@pytest.fixture(scope="module")
def api_schema(admin_secret: str) -> Iterator[Any]:
    old = os.environ.get("SIM_FAST")
    os.environ["SIM_FAST"] = "1"  # zero simulated latencies
    app = create_app(_STATE["settings"], environ={})
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()  # stop the app's lifespan (schemathesis started it)
        if old is None:
            os.environ.pop("SIM_FAST", None)
        else:
            os.environ["SIM_FAST"] = old


def fuzz(schema: Any, check: Any, modes: tuple[GenerationMode, ...]) -> dict[str, str]:
    """Run `check(case)` over generated cases for every operation; failures by operation."""
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in EXCLUDED:
            continue
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @FUZZ
            def run(case: Any) -> None:
                check(case)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (e.g. no parameters, negative mode)
            except AssertionError as exc:
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:500]
    return failures


def test_no_5xx_with_a_valid_admin_key(api_schema: Any, admin_secret: str) -> None:
    headers = {"Authorization": f"Bearer {admin_secret}"}
    counted = {"cases": 0, "5xx": 0}

    def check(case: Any) -> None:
        response = case.call(headers=headers)
        counted["cases"] += 1
        counted["5xx"] += response.status_code >= 500
        assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"

    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    failures = fuzz(api_schema, check, modes)
    print(f"schemathesis: {counted['cases']} cases, {counted['5xx']} answered 5xx")
    assert failures == {}


CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_responses_conform_to_their_declared_schemas(api_schema: Any, admin_secret: str) -> None:
    """Every generated request (valid and invalid) gets a declared status, content type and
    a body that validates against its schema: schemathesis's own conformance checks."""
    headers = {"Authorization": f"Bearer {admin_secret}"}
    ran: list[str] = []

    def check(case: Any) -> None:
        ran.append(case.operation.label)
        try:
            case.call_and_validate(headers=headers, checks=CONFORMANCE)
        except AssertionError:
            raise
        except BaseExceptionGroup as exc:  # schemathesis groups its failures
            raise AssertionError("\n".join(str(e) for e in exc.exceptions)) from exc

    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    assert fuzz(api_schema, check, modes) == {}
    operations = set(ran)
    print(f"schemathesis conformance: {len(ran)} cases over {len(operations)} operations")
    assert len(operations) >= 20  # every operation but the endless /events stream ran


def test_no_2xx_without_a_key_on_protected_paths(api_schema: Any) -> None:
    def check(case: Any) -> None:
        response = case.call()
        path = case.operation.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return
        assert not 200 <= response.status_code < 300, response.text[:300]
        assert response.status_code in (401, 404, 405), response.text[:300]

    assert fuzz(api_schema, check, (GenerationMode.POSITIVE,)) == {}


def test_the_schema_covers_the_security_endpoints(api_schema: Any) -> None:
    paths = set(api_schema.raw_schema["paths"])
    for path in ("/control/kill", "/audit/{audit_id}", "/policy/proposals/{proposal_id}/approve"):
        assert path in paths
