"""Prometheus recording and alerting rules (and their promtool unit tests) from policy SLOs.

The rules compute what the in-process evaluator computes, from the per-SLO counter
`symphony_slo_events_total{slo,result}`:

* `symphony_slo:sli_error:ratio_rate<w>{slo}`: error ratio over every window any SLO uses.
  The denominator is guarded with `> 0`, so an idle service records nothing (never NaN)
  and cannot page.
* `symphony_slo:objective:ratio`, `symphony_slo:error_budget:ratio` and
  `symphony_slo:period_error_budget_remaining:ratio` per SLO.
* One alert name, `SymphonySLOErrorBudgetBurn`, per SLO and severity (page, ticket): the
  burn-rate rows of that severity OR-ed, each row the AND of its long and short window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml

from symphony.policy.model import BurnWindow, SloSeverity, SloSpec
from symphony.windows.specs import format_duration

ALERT = "SymphonySLOErrorBudgetBurn"
EVENTS = "symphony_slo_events_total"
RATIO = "symphony_slo:sli_error:ratio_rate"
RUNBOOK_ANCHOR = "#slo-error-budget-burn"


@dataclass(frozen=True, slots=True)
class RuleOptions:
    runbook_base: str = "docs/runbook.md"
    source: str = "policy"  # shown in the header comment
    policy_version: str | None = None


def _num(value: float) -> str:
    """A short, exact-looking decimal: 14.4 x 0.005 is 0.072, not 0.07200000000000001."""
    return f"{round(value, 12):.12g}"


def _d(delta: timedelta) -> str:
    return format_duration(delta)


def _windows(slos: Sequence[SloSpec]) -> list[timedelta]:
    return sorted({d for s in slos for w in s.windows for d in (w.long, w.short)})


def _ratio_rule(window: timedelta) -> dict[str, Any]:
    w = _d(window)
    return {
        "record": f"{RATIO}{w}",
        "expr": (
            f'sum by (slo) (rate({EVENTS}{{result="bad"}}[{w}]))\n'
            f"/\n"
            f"(sum by (slo) (rate({EVENTS}[{w}])) > 0)\n"
        ),
    }


def _meta_rules(spec: SloSpec) -> list[dict[str, Any]]:
    labels = {"slo": spec.name}
    period = _d(spec.period)
    sel = f'slo="{spec.name}"'
    remaining = (
        f'1 - (\n  sum by (slo) (increase({EVENTS}{{{sel},result="bad"}}[{period}]))\n'
        f"  /\n  (sum by (slo) (increase({EVENTS}{{{sel}}}[{period}])) > 0)\n"
        f") / {_num(spec.error_budget)}\n"
    )
    return [
        {
            "record": "symphony_slo:objective:ratio",
            "expr": f"vector({_num(spec.objective)})",
            "labels": labels,
        },
        {
            "record": "symphony_slo:error_budget:ratio",
            "expr": f"vector({_num(spec.error_budget)})",
            "labels": labels,
        },
        {
            "record": "symphony_slo:period_error_budget_remaining:ratio",
            "expr": remaining,
            "labels": labels,
        },
    ]


def _row_expr(spec: SloSpec, row: BurnWindow) -> str:
    limit = _num(row.factor * spec.error_budget)
    sel = f'{{slo="{spec.name}"}}'
    return (
        f"(\n  {RATIO}{_d(row.long)}{sel} > {limit}\n  and\n"
        f"  {RATIO}{_d(row.short)}{sel} > {limit}\n)"
    )


def _alert(spec: SloSpec, severity: SloSeverity, opts: RuleOptions) -> dict[str, Any] | None:
    rows = [w for w in spec.windows if w.severity == severity]
    if not rows:
        return None
    table = ", ".join(f"{w.factor:g}x over {_d(w.long)} and {_d(w.short)}" for w in rows)
    what = "latency" if spec.kind == "latency" else "availability"
    target = (
        f"{_num(spec.objective * 100)}% of executes within {spec.threshold_ms} ms"
        if spec.kind == "latency"
        else f"{_num(spec.objective * 100)}% of executes without an error"
    )
    return {
        "alert": ALERT,
        "expr": "\nor\n".join(_row_expr(spec, w) for w in rows) + "\n",
        "labels": {"severity": severity, "slo": spec.name, "slo_kind": what},
        "annotations": {
            "summary": f"SLO {spec.name} is burning its error budget too fast ({severity})",
            "description": (
                f"{spec.description + '. ' if spec.description else ''}"
                f"Objective: {target} over {_d(spec.period)}. Fires on a burn rate above {table}."
            ),
            "runbook_url": f"{opts.runbook_base}{RUNBOOK_ANCHOR}",
        },
    }


def build_rules(slos: Sequence[SloSpec], opts: RuleOptions | None = None) -> dict[str, Any]:
    """The rule-file document for these SLOs (three groups: ratios, metadata, alerts)."""
    opts = opts or RuleOptions()
    alerts = [
        alert
        for spec in slos
        for severity in ("page", "ticket")
        if (alert := _alert(spec, severity, opts)) is not None
    ]
    return {
        "groups": [
            {"name": "symphony-slo-sli", "rules": [_ratio_rule(w) for w in _windows(slos)]},
            {"name": "symphony-slo-meta", "rules": [r for s in slos for r in _meta_rules(s)]},
            {"name": "symphony-slo-alerts", "rules": alerts},
        ]
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &id001 anchors: every rule reads on its own


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(document: dict[str, Any], header: str) -> str:
    """YAML with block-literal expressions and a generated-file header."""
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=100)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body


def render_rules(slos: Sequence[SloSpec], opts: RuleOptions | None = None) -> str:
    """The rule file as text, ready for `promtool check rules`."""
    opts = opts or RuleOptions()
    version = f" (policy version {opts.policy_version})" if opts.policy_version else ""
    header = (
        f"Generated by `symphony slo rules` from {opts.source}{version}. Do not edit:\n"
        "regenerate after changing policy.slos. Prometheus needs a scrape and evaluation\n"
        "interval of at most half the shortest window for the ratios to have data."
    )
    return dump(build_rules(slos, opts), header)


# --- promtool unit tests -----------------------------------------------------------------


def _interval(spec: SloSpec) -> timedelta:
    shortest = min(w.short for w in spec.windows).total_seconds()
    return timedelta(seconds=max(1, min(60, math.floor(shortest / 5))))


def _series(spec: SloSpec, bad_per_step: float, total_per_step: float, steps: int) -> list[Any]:
    base = f'{EVENTS}{{slo="{spec.name}",result="%s"}}'
    good = total_per_step - bad_per_step
    return [
        {"series": base % "bad", "values": f"0+{_num(bad_per_step)}x{steps}"},
        {"series": base % "good", "values": f"0+{_num(good)}x{steps}"},
    ]


def _expected(spec: SloSpec, severities: Sequence[str], opts: RuleOptions) -> list[Any]:
    out = []
    for severity in severities:
        alert = _alert(spec, severity, opts)  # type: ignore[arg-type]
        assert alert is not None
        out.append({"exp_labels": alert["labels"], "exp_annotations": alert["annotations"]})
    return out


def _cases(spec: SloSpec, opts: RuleOptions) -> list[dict[str, Any]]:
    interval = _interval(spec)
    severities = [s for s in ("page", "ticket") if any(w.severity == s for w in spec.windows)]
    # The shortest window full plus two samples: every longer window then holds the same
    # ratio (rates over the part of the range that has data), which is what these tests
    # check: thresholds, AND/OR, labels and annotations. How windows move in time is the
    # in-process evaluator's tests' business (evaluating at 3d with 1m samples takes
    # promtool minutes).
    at = min(w.short for w in spec.windows) + 2 * interval
    steps = math.ceil(at / interval) + 2
    eval_at = _d(at)
    shortest = min(w.short for w in spec.windows)
    cases: list[dict[str, Any]] = [
        {  # idle: zero rates must neither page nor record a NaN ratio
            "interval": _d(interval),
            "input_series": _series(spec, 0, 0, steps),
            "alert_rule_test": [{"eval_time": eval_at, "alertname": ALERT, "exp_alerts": []}],
            "promql_expr_test": [
                {
                    "expr": f'{RATIO}{_d(shortest)}{{slo="{spec.name}"}}',
                    "eval_time": eval_at,
                    "exp_samples": [],
                }
            ],
        },
        {  # a full outage: every severity fires and the ratio is exactly 1
            "interval": _d(interval),
            "input_series": _series(spec, 60, 60, steps),
            "alert_rule_test": [
                {
                    "eval_time": eval_at,
                    "alertname": ALERT,
                    "exp_alerts": _expected(spec, severities, opts),
                }
            ],
            "promql_expr_test": [
                {
                    "expr": f'{RATIO}{_d(shortest)}{{slo="{spec.name}"}}',
                    "eval_time": eval_at,
                    "exp_samples": [
                        {"labels": f'{RATIO}{_d(shortest)}{{slo="{spec.name}"}}', "value": 1}
                    ],
                }
            ],
        },
    ]
    pages = [w.factor for w in spec.windows if w.severity == "page"]
    tickets = [w.factor for w in spec.windows if w.severity == "ticket"]
    if pages and tickets and max(tickets) < min(pages):
        share = (max(tickets) + min(pages)) / 2 * spec.error_budget  # between the two
        cases.append(
            {  # a slow burn: tickets, does not page
                "interval": _d(interval),
                "input_series": _series(spec, round(share * 1000, 6), 1000, steps),
                "alert_rule_test": [
                    {
                        "eval_time": eval_at,
                        "alertname": ALERT,
                        "exp_alerts": _expected(spec, ["ticket"], opts),
                    }
                ],
            }
        )
    good_only = {
        "interval": _d(interval),
        "input_series": _series(spec, 0, 60, steps),
        "alert_rule_test": [{"eval_time": eval_at, "alertname": ALERT, "exp_alerts": []}],
    }
    cases.append(good_only)
    return cases


def render_tests(slos: Sequence[SloSpec], rule_file: str, opts: RuleOptions | None = None) -> str:
    """A `promtool test rules` file with, per SLO: idle, full outage, slow burn, all good."""
    opts = opts or RuleOptions()
    evaluation = min((_interval(s) for s in slos), default=timedelta(minutes=1))
    document = {
        "rule_files": [rule_file],
        "evaluation_interval": _d(evaluation),
        "tests": [case for spec in slos for case in _cases(spec, opts)],
    }
    return dump(document, "Generated by `symphony slo rules --tests`. Do not edit.")
