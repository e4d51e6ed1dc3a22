"""Generate grafana/dashboards/symphony-ops.json with grafana-foundation-sdk (Grafana 11.6).

    .venv/bin/python grafana/build_dashboard.py           # rewrite the JSON
    .venv/bin/python grafana/build_dashboard.py --check   # exit 1 if the JSON is stale

The PromQL lives here; tests/observability runs every expression against a real
Prometheus scraping a running Symphony, and checks the JSON against @grafana/schema.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import bargauge, gauge, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

OUT = Path(__file__).resolve().parent / "dashboards" / "symphony-ops.json"
DATASOURCE_UID = "symphony-prometheus"  # grafana/provisioning/datasources/prometheus.yml
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
SLO_LATENCY_S = 6.0  # the shipped policy's defaults.max_sla_ms
ERROR_RATIO_ALERT = 0.25  # alerting/rules/symphony-ops.rules.yml SymphonyUpstreamErrorRatioHigh

Panel = Any  # a panel builder from the SDK (stat.Panel, timeseries.Panel, ...)


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False


def targets(panel: Panel, queries: list[Query]) -> Panel:
    """Add queries A, B, ... on the dashboard's datasource variable."""
    for ref, q in zip("ABCDEFGH", queries, strict=False):
        target = prometheus.Dataquery().expr(q.expr).ref_id(ref).datasource(DATASOURCE)
        if q.legend:
            target = target.legend_format(q.legend)
        target = target.instant() if q.instant else target.range()
        panel = panel.with_target(target)
    return panel


def steps(*pairs: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """Absolute thresholds: (None, base colour), (value, colour), ..."""
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=v, color=c) for v, c in pairs])
    )


def place(panel: Panel, x: int, y: int, w: int, h: int) -> Panel:
    return panel.grid_pos(model.GridPos(h=h, w=w, x=x, y=y))


def last_value() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def mapping(values: dict[str, tuple[str, str]]) -> list[model.ValueMapping]:
    return [
        model.ValueMap(
            options={
                key: model.ValueMappingResult(text=text, color=color, index=i)
                for i, (key, (text, color)) in enumerate(values.items())
            }
        )
    ]


def series(title: str, description: str, unit: str, queries: list[Query]) -> Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    )
    return targets(panel, queries)


def single(title: str, description: str, unit: str, queries: list[Query]) -> Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .reduce_options(last_value())
    )
    return targets(panel, queries)


def bars(title: str, description: str, unit: str, queries: list[Query]) -> Panel:
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(last_value())
    )
    return targets(panel, queries)


# --- the operator kit's six panels ----------------------------------------------------------


def operator_kit() -> list[Panel]:
    budget = single(
        "Budget fraction (top models)",
        "Share of each model's current quota window already used (1 - remaining), the five "
        "fullest. The planner keeps a reserve (defaults.reserve_fraction, 20 %), so a model "
        "is held back from about 80 %.",
        "percentunit",
        [Query("topk(5, max by (model) (symphony_budget_fraction_used))", "{{model}}")],
    ).thresholds(steps((None, "green"), (0.8, "orange"), (1.0, "red")))
    p95 = (
        gauge.Panel()
        .title("Execute p95 latency vs SLO")
        .description(
            "95th percentile of end-to-end /route/execute latency over 5 minutes, all "
            f"models. Red from the SLO threshold ({SLO_LATENCY_S:g} s = the policy's "
            "defaults.max_sla_ms). Empty while there is no traffic (a quantile of nothing "
            "is undefined)."
        )
        .datasource(DATASOURCE)
        .unit("s")
        .min(0)
        .max(SLO_LATENCY_S * 2)
        .reduce_options(last_value())
        .thresholds(steps((None, "green"), (4.8, "orange"), (SLO_LATENCY_S, "red")))
    )
    p95 = targets(
        p95,
        [
            Query(
                "histogram_quantile(0.95, sum by (le) "
                "(rate(symphony_route_execute_latency_seconds_bucket[5m])))"
                " and on () sum(rate(symphony_route_execute_latency_seconds_count[5m])) > 0",
                "p95",
            )
        ],
    )
    power = (
        series(
            "Power windows open",
            "1 while a tenant power window (policy tenants.*.power_windows: a scheduled burst "
            "with its own spend cap) is open for the model.",
            "bool_on_off",
            [Query("max by (model) (symphony_power_window_open)", "{{model}}")],
        )
        .min(0)
        .max(1)
    )
    errors = series(
        "Errors by route",
        "Error responses Symphony returned in the last 15 minutes, by route and error code "
        "(validation_failed, all_candidates_failed, unauthorized, ...).",
        "short",
        [
            Query(
                "sum by (route, code) (increase(symphony_errors_total[15m]))",
                "{{route}} ({{code}})",
            )
        ],
    )
    tokens = series(
        "Tokens/s by model",
        "Prompt and completion tokens per second by model, as reported by the upstream's "
        "usage (or counted when it reports none).",
        "suffix: tok/s",
        [
            Query(
                "sum by (model, type) (rate(symphony_tokens_total[$__rate_interval]))",
                "{{model}} {{type}}",
            )
        ],
    )
    rag = single(
        "RAG staleness",
        "Age of the newest document in each RAG index (seconds since it was last "
        "refreshed). Exported by the RAG/ingest service as "
        "symphony_rag_index_staleness_seconds.",
        "s",
        [Query("max by (index) (symphony_rag_index_staleness_seconds)", "{{index}}")],
    ).thresholds(steps((None, "green"), (3600, "orange"), (86400, "red")))
    return [
        place(budget, 0, 0, 8, 6),
        place(p95, 8, 0, 8, 6),
        place(power, 16, 0, 8, 6),
        place(errors, 0, 6, 12, 8),
        place(tokens, 12, 6, 12, 8),
        place(rag, 0, 14, 5, 6),
    ]


# --- what an operator of this product needs on top ------------------------------------------


def state_row() -> list[Panel]:
    incidents = single(
        "Open incidents",
        "Incidents currently open (from SLO breaches, Alertmanager or by hand); each has "
        "its GitHub/Jira tickets. See GET /incidents.",
        "short",
        [Query("sum(symphony_incidents_open)", "open")],
    ).thresholds(steps((None, "green"), (1, "red")))
    kills = (
        single(
            "Kill switch",
            "Active kills by scope (all, tenant, provider, model). Anything above 0 means "
            "plans deny that scope; lift with POST /control/unkill.",
            "short",
            [Query("sum by (scope) (symphony_killswitch_active_kills)", "{{scope}}")],
        )
        .thresholds(steps((None, "green"), (1, "red")))
        .mappings(mapping({"0": ("off", "green")}))
    )
    version = (
        single(
            "Policy version",
            "Content hash (or declared version) of the policy snapshot in force.",
            "none",
            [Query("max by (version) (symphony_policy_info)", "{{version}}", instant=True)],
        )
        .text_mode(common.BigValueTextMode.NAME)
        .color_mode(common.BigValueColorMode.NONE)
    )
    reloads = (
        single(
            "Policy reloads",
            "Last reload: ok, or FAILING while the file on disk is rejected (the last good "
            "policy stays in force). Rejected: reloads refused in the time range.",
            "short",
            [
                Query("max(symphony_policy_last_reload_successful)", "last reload"),
                Query(
                    'sum(increase(symphony_policy_reload_total{result="rejected"}[$__range]))',
                    "rejected",
                    instant=True,
                ),
            ],
        )
        .thresholds(steps((None, "green"), (1, "orange")))
        .override_by_name(
            "last reload",
            [
                model.DynamicConfigValue(
                    id_val="mappings",
                    value=mapping({"1": ("ok", "green"), "0": ("FAILING", "red")}),
                )
            ],
        )
    )
    return [
        place(incidents, 5, 14, 4, 6),
        place(kills, 9, 14, 5, 6),
        place(version, 14, 14, 5, 6),
        place(reloads, 19, 14, 5, 6),
    ]


def windows_row() -> list[Panel]:
    remaining = (
        bars(
            "Window remaining per model",
            "Remaining share of each model's binding quota window (rolling, session, daily, "
            "...). Models without a known cap are not shown.",
            "percentunit",
            [Query("max by (model) (symphony_window_remaining_fraction)", "{{model}}")],
        )
        .min(0)
        .max(1)
        .thresholds(steps((None, "red"), (0.2, "orange"), (0.5, "green")))
    )
    reset = bars(
        "Time to window reset",
        "Time until each model's binding window resets (its quota comes back).",
        "dtdurations",
        [Query("max by (model) (symphony_window_reset_timestamp_seconds) - time()", "{{model}}")],
    ).min(0)
    return [place(remaining, 0, 20, 12, 8), place(reset, 12, 20, 12, 8)]


def reliability_row() -> list[Panel]:
    burn = series(
        "Burn rate per SLO",
        "Error-budget burn rate of each SLO (1 = spending the budget exactly over the SLO "
        "period; the shipped policy pages at 14.4x over 1 h and 6x over 6 h). From the "
        "recording rules in alerting/rules/symphony-slo.rules.yml; no line while an SLO "
        "has no events in the window.",
        "suffix:×",
        [Query(burn_rate(w), "{{slo}} " + w) for w in BURN_WINDOWS],
    ).thresholds(steps((None, "green"), (1, "orange"), (6, "red")))
    fallbacks = series(
        "Fallbacks & retries",
        "Executes answered by a fallback model (the primary failed), and retries of the "
        "same model after a retryable error (rate limit, unavailable, timeout).",
        "reqps",
        [
            Query(
                'sum by (model) (rate(symphony_route_decisions_total{reason="fallback"}'
                "[$__rate_interval]))",
                "fallback to {{model}}",
            ),
            Query(
                "sum by (model, reason) (rate(symphony_upstream_retries_total[$__rate_interval]))",
                "retry {{model}} ({{reason}})",
            ),
        ],
    )
    ratio = series(
        "Upstream error ratio by model",
        "Share of upstream attempts that failed (rate limits excluded), by model. The "
        f"SymphonyUpstreamErrorRatioHigh alert fires above {ERROR_RATIO_ALERT:.0%} for 10 "
        "minutes. A model with no attempts shows no line (not 0, not NaN).",
        "percentunit",
        [
            Query(
                'sum by (model) (rate(symphony_upstream_attempts_total{outcome!~"ok|rate_limited"}'
                "[$__rate_interval]))"
                " / (sum by (model) (rate(symphony_upstream_attempts_total[$__rate_interval]))"
                " > 0)",
                "{{model}}",
            )
        ],
    ).thresholds(steps((None, "green"), (ERROR_RATIO_ALERT, "red")))
    cost = bars(
        "Cost per tenant",
        "Spend in USD per tenant over the selected time range (token usage x the "
        "policy's prices; local models cost 0).",
        "currencyUSD",
        [
            Query(
                "sum by (tenant) (increase(symphony_cost_usd_total[$__range]))",
                "{{tenant}}",
                instant=True,
            )
        ],
    )
    return [
        place(burn, 0, 28, 12, 8),
        place(fallbacks, 12, 28, 12, 8),
        place(ratio, 0, 36, 12, 8),
        place(cost, 12, 36, 12, 8),
    ]


# The SLO recording rules (alerting/rules/symphony-slo.rules.yml, `symphony slo rules`):
# burn rate = error ratio over a window / the SLO's error budget. 1 h and 6 h are the long
# windows of the shipped policy's page rows.
BURN_WINDOWS = ("1h", "6h")


def burn_rate(window: str) -> str:
    return f"symphony_slo:sli_error:ratio_rate{window} / on (slo) symphony_slo:error_budget:ratio"


def build() -> dict[str, Any]:
    """The dashboard as a JSON-ready dict."""
    builder = (
        dash.Dashboard("Symphony Ops")
        .uid("symphony-ops")
        .description(
            "Symphony LLM control tower: windows, latency vs SLO, errors, spend, kill switch "
            "and policy state. Metrics from /metrics; see docs/runbook.md#observability."
        )
        .tags(["symphony", "ops"])
        .editable()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(
            dash.DatasourceVariable("datasource")
            .label("Prometheus")
            .type("prometheus")
            .current(
                model.VariableOption(
                    selected=True, text="Symphony Prometheus", value=DATASOURCE_UID
                )
            )
        )
    )
    for panel in [*operator_kit(), *state_row(), *windows_row(), *reliability_row()]:
        builder = builder.with_panel(panel)
    encoded = json.dumps(builder.build(), cls=JSONEncoder, sort_keys=True)
    result: dict[str, Any] = json.loads(encoded)
    for variable in result["templating"]["list"]:
        if variable["type"] != "interval":
            # The SDK writes the interval variable's auto-step fields on every variable;
            # Grafana's schema has no such fields on a datasource variable.
            for key in ("auto", "auto_count", "auto_min"):
                variable.pop(key, None)
    return result


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSON is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
