"""A real Prometheus scrapes a real `symphony serve --demo` under traffic; every PromQL
expression of the dashboard and of every rule file runs through Prometheus' HTTP API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from obs_stack import (
    Prometheus,
    Symphony,
    all_rules,
    dashboard_queries,
    need,
    poll,
    prometheus_config,
    rule_files,
    start_prometheus,
)

QA = {"task": "qa", "input": "explain the quarterly numbers", "loa": 1}
# Grafana's variables, as Grafana would substitute them for a short time range.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__range": "10m", "$__interval": "15s"}
# Metrics that exist only once something happened: a panel reading them may be empty while
# they do not exist. Anything else must have data.
OWNED_ELSEWHERE = {
    # Exported once the corpus has been indexed (absent for an empty corpus).
    "symphony_rag_index_staleness_seconds": "RAG/ingest: empty until something is ingested",
}
# With this traffic (a kill on xai/grok, a few injected 503s, no exhausted window, a
# healthy store and policy) these alert expressions must match, and these must not.
MUST_MATCH = {"SymphonyKillSwitchEngaged"}
MUST_NOT_MATCH = {
    "SymphonyDown",
    "SymphonyMetricsAbsent",
    "SymphonyStoreWriteErrors",
    "SymphonyPolicyReloadFailing",
    "SymphonyWindowExhausted",
}
NAME = re.compile(r"(?<![\w:])(?:symphony_[a-z0-9_]+|[a-z_]+:[a-z0-9_:]+|up)(?![\w:(])")


def metric_names(expr: str) -> set[str]:
    """Metric (and recording rule) names an expression selects."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    return set(NAME.findall(without_strings))


def grafana(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def drive(symphony: Symphony) -> None:
    """Executes (one retried, one falling back), a validation error, a kill."""
    with httpx.Client(base_url=symphony.base, timeout=30) as client:
        # The fallback below cools openai/chatgpt-plus down for a few seconds; a second
        # drive must wait for that, or the planner (rightly) skips the model.
        poll(lambda: cooled_down(client), "openai/chatgpt-plus out of its cooldown")
        for _ in range(3):
            assert client.post("/route/execute", json=QA).status_code == 200
        fault = {"model": "gpt-4o-mini", "kind": "error_503", "count": 1}
        for attempts in (2, 1):  # a retry of the same model, then a fallback
            assert httpx.post(f"{symphony.sim}/_sim/faults", json=fault).status_code == 200
            controls = {"retry": {"max_attempts": attempts, "backoff_s": 0}}
            response = client.post("/route/execute", json={**QA, "controls": controls})
            assert response.status_code == 200, response.text
        assert client.post("/route/execute", json={"task": "qa"}).status_code == 422
        kill = {"scope": "model", "target": "xai/grok", "reason": "e2e"}
        assert client.post("/control/kill", json=kill).status_code == 200


def cooled_down(client: httpx.Client) -> bool:
    until = client.get("/models/openai/chatgpt-plus").json()["window"]["cooldown_until"]
    return until is None or datetime.fromisoformat(until) <= datetime.now(UTC)


def wait_for_rates(prom: Prometheus) -> None:
    """Wait until the counters moved between two scrapes (rate() needs two samples)."""
    for expr in (
        "sum(rate(symphony_route_execute_latency_seconds_count[1m])) > 0",
        "sum(rate(symphony_tokens_total[1m])) > 0",
        "sum(rate(symphony_upstream_retries_total[1m])) > 0",
        'sum(rate(symphony_route_decisions_total{reason="fallback"}[1m])) > 0',
        "sum(rate(symphony_cost_usd_total[1m])) > 0",
    ):
        poll(lambda e=expr: prom.vector(e), expr, deadline_s=60)


def rules_evaluated(prom: Prometheus) -> list[dict[str, Any]] | None:
    body = httpx.get(f"{prom.base}/api/v1/rules", timeout=10).json()
    rules = [rule for group in body["data"]["groups"] for rule in group["rules"]]
    if not rules or any(r["lastEvaluation"].startswith("0001-") for r in rules):
        return None
    return rules


@pytest.mark.slow
def test_every_dashboard_and_rule_expression_runs_on_real_prometheus(
    symphony_server: Symphony, tmp_path: Path
) -> None:
    need("prometheus")
    target = symphony_server.base.removeprefix("http://")
    prom = start_prometheus(tmp_path, prometheus_config(target, rule_files(), None))
    try:
        poll(lambda: prom.vector('up{job="symphony"} == 1'), "the first scrape of Symphony")
        drive(symphony_server)
        poll(lambda: prom.vector("symphony_tokens_total"), "the traffic's counters scraped")
        drive(symphony_server)
        wait_for_rates(prom)
        rules = poll(lambda: rules_evaluated(prom), "every rule evaluated once")
        check_rules_health(rules)
        present = {
            s["metric"]["__name__"] for s in prom.vector('count by (__name__) ({__name__=~".+"})')
        }
        check_dashboard(prom, present)
        check_rule_expressions(prom, present, served_slos(symphony_server))
        poll(lambda: kill_alert(prom), "SymphonyKillSwitchEngaged pending or firing")
    finally:
        prom.process.stop()


def check_rules_health(rules: list[dict[str, Any]]) -> None:
    bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert bad == [], bad
    loaded = {r["name"] for r in rules}
    assert {str(r.get("alert") or r.get("record")) for r in all_rules()} <= loaded


def base_metrics(expr: str) -> set[str]:
    """The exported metrics an expression reads, through any recording rules it uses."""
    recorded: dict[str, list[str]] = {}
    for rule in all_rules():
        if "record" in rule:
            recorded.setdefault(str(rule["record"]), []).append(str(rule["expr"]))
    out: set[str] = set()
    for name in metric_names(expr):
        if name in recorded:
            for inner in recorded[name]:
                out |= base_metrics(inner)
        else:
            out.add(name)
    return out


def may_be_empty(what: str, expr: str, present: set[str]) -> bool:
    """True when `expr` reads a metric other work has not exported yet; fails on a metric
    nobody exports (a typo, a renamed metric, a wrong label of a recording rule)."""
    absent = base_metrics(expr) - present
    unknown = absent - OWNED_ELSEWHERE.keys()
    assert not unknown, f"{what}: reads metrics Symphony does not export: {unknown}"
    return bool(absent)


def check_dashboard(prom: Prometheus, present: set[str]) -> None:
    empty_ok: list[str] = []
    for title, raw in dashboard_queries():
        expr = grafana(raw)
        assert "$" not in expr, f"{title}: unsubstituted variable in {expr}"
        body = prom.query(expr)
        assert body["status"] == "success", f"{title}: {expr}: {body.get('error')}"
        assert metric_names(expr), f"{title}: no metric in {expr}"
        if may_be_empty(title, expr, present):
            empty_ok.append(title)
            continue
        assert body["data"]["result"], f"{title}: no data for {expr}"
    # Only these panels read metrics that other work has not exported on this branch.
    assert set(empty_ok) <= {"RAG staleness", "Burn rate per SLO"}


def served_slos(symphony: Symphony) -> set[str]:
    """The SLOs the server under test evaluates (the demo policy's, not the shipped one's)."""
    body = httpx.get(f"{symphony.base}/slo", timeout=10).json()
    return {str(slo["name"]) for slo in body["slos"]}


def check_rule_expressions(prom: Prometheus, present: set[str], served: set[str]) -> None:
    # The committed SLO rules come from the shipped policy; the demo serves its own SLOs.
    # Rules of SLOs it does not serve must parse, and may be empty; the others need data.
    committed = {str(r["labels"]["slo"]) for r in all_rules() if "slo" in r.get("labels", {})}
    assert served, "the demo serves no SLO"
    assert served <= committed, f"demo SLOs {served} not in the rules {committed}"
    for rule in all_rules():
        name, expr = str(rule.get("alert") or rule.get("record")), str(rule["expr"])
        body = prom.query(expr)
        assert body["status"] == "success", f"{name}: {body.get('error')}"
        result = body["data"]["result"]
        if may_be_empty(name, expr, present):
            continue
        if rule.get("labels", {}).get("slo", next(iter(served))) not in served:
            continue
        if name in MUST_MATCH or "record" in rule:
            assert result, f"{name}: no data for {expr}"
        if name in MUST_NOT_MATCH:
            assert result == [], f"{name} matches on a healthy service: {result}"


def kill_alert(prom: Prometheus) -> bool:
    alerts = httpx.get(f"{prom.base}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return any(
        a["labels"]["alertname"] == "SymphonyKillSwitchEngaged"
        and a["labels"]["scope"] == "model"
        and a["state"] in {"pending", "firing"}
        for a in alerts
    )
