"""GET /metrics names and label hygiene; the OpenAPI schema documents every endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest

METRICS = {
    "symphony_route_plan_latency_seconds": "histogram",
    "symphony_route_execute_latency_seconds": "histogram",
    "symphony_tokens_total": "counter",
    "symphony_route_decisions_total": "counter",
    "symphony_budget_fraction_used": "gauge",
    "symphony_power_window_open": "gauge",
    "symphony_window_remaining_fraction": "gauge",
    "symphony_errors_total": "counter",
    "symphony_policy_reload_total": "counter",
    "symphony_policy_info": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
}


def type_of(text: str, name: str) -> str | None:
    # prometheus_client writes a counter's TYPE line without the _total suffix.
    for candidate in (name, name.removesuffix("_total")):
        match = re.search(rf"^# TYPE {re.escape(candidate)} (\w+)$", text, re.M)
        if match:
            return match.group(1)
    return None


async def test_every_required_metric_is_exported(harness: Any) -> None:
    await harness.client.post("/route/plan", json={"task": "qa"})
    response = await harness.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name, kind in METRICS.items():
        assert type_of(text, name) == kind, name
        base = name.removesuffix("_total")
        assert re.search(rf"^# HELP {re.escape(base)}", text, re.M), name


async def test_execute_histogram_has_slo_buckets_up_to_120s(harness: Any) -> None:
    harness.state.metrics.execute_latency.labels("local/ollama", "default").observe(0.4)
    text = (await harness.client.get("/metrics")).text
    buckets = re.findall(
        r'^symphony_route_execute_latency_seconds_bucket\{le="([^"]+)",model="local/ollama"',
        text,
        re.M,
    )
    assert {"1.0", "2.5", "6.0", "30.0", "120.0", "+Inf"} <= set(buckets)


async def test_plans_and_gauges_are_counted(harness: Any) -> None:
    for _ in range(2):
        await harness.client.post("/route/plan", json={"task": "qa"})
    text = (await harness.client.get("/metrics")).text
    assert re.search(r"^symphony_route_plan_latency_seconds_count 2\.0$", text, re.M)
    assert 'symphony_route_decisions_total{model="local/ollama",reason="plan"} 2.0' in text
    # Gauges per model, from the window engine.
    assert 'symphony_window_remaining_fraction{model="anthropic/claude-pro"} 1.0' in text
    assert 'symphony_budget_fraction_used{model="anthropic/claude-pro"} 0.0' in text
    assert re.search(r'^symphony_power_window_open\{model="xai/grok"\} [01]\.0$', text, re.M)


async def test_errors_are_counted_by_route_template_and_code(harness: Any) -> None:
    await harness.client.post("/route/plan", json={"task": "qa", "tenant": "someone-secret"})
    await harness.client.get("/models/not/a-model-name-123")
    text = (await harness.client.get("/metrics")).text
    assert 'symphony_errors_total{code="unknown_tenant",route="/route/plan"} 1.0' in text
    assert 'symphony_errors_total{code="unknown_model",route="/models/{name:path}"} 1.0' in text


async def test_no_label_carries_user_text(harness: Any) -> None:
    weird = "zz-Weird.Task:42"
    for body in (
        {"task": weird, "input": "secret-prompt-text"},
        {"task": "qa", "tenant": "tenant-from-user-xyz", "input": "x"},
        {"task": "qa", "loa": 9, "input": "another-secret"},
    ):
        await harness.client.post("/route/plan", json=body)
    await harness.client.get("/no/such/path/with-user-bits")
    text = (await harness.client.get("/metrics")).text
    for fragment in (
        weird,
        "secret-prompt-text",
        "tenant-from-user-xyz",
        "another-secret",
        "with-user-bits",
    ):
        assert fragment not in text


HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def has_example(node: Any) -> bool:
    if isinstance(node, dict):
        if "example" in node or node.get("examples"):
            return True
        return any(has_example(v) for v in node.values())
    if isinstance(node, list):
        return any(has_example(v) for v in node)
    return False


async def test_every_endpoint_has_a_summary_and_an_example(harness: Any) -> None:
    spec = (await harness.client.get("/openapi.json")).json()
    required = {
        "/route/plan",
        "/models",
        "/models/{name}",
        "/windows/{name}/observe",
        "/status/health.json",
        "/status/burndown.json",
        "/events",
        "/metrics",
        "/policy",
        "/policy/reload",
    }
    assert required <= set(spec["paths"])
    schemas = spec.get("components", {}).get("schemas", {})
    missing: list[str] = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in HTTP_METHODS:
                continue
            if not op.get("summary"):
                missing.append(f"{method.upper()} {path}: summary")
            body_refs = [
                c.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                for c in op.get("requestBody", {}).get("content", {}).values()
            ]
            documented = has_example(op.get("responses")) or has_example(op.get("requestBody"))
            documented = documented or any(has_example(schemas.get(r, {})) for r in body_refs)
            if not documented:
                missing.append(f"{method.upper()} {path}: example")
    assert not missing, missing


@pytest.mark.parametrize("path", ["/route/plan", "/windows/{name}/observe"])
async def test_request_bodies_carry_examples(harness: Any, path: str) -> None:
    spec = (await harness.client.get("/openapi.json")).json()
    op = spec["paths"][path]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert spec["components"]["schemas"][ref]["examples"]
