"""policy.slos[]: defaults, thresholds from rules, and errors with file:line:path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from symphony.errors import PolicyError
from symphony.policy.loader import load_policy, load_policy_files
from symphony.policy.model import DEFAULT_BURN_WINDOWS, BurnWindow

ROOT = Path(__file__).resolve().parents[2]
P = "config/router.policy.yml"

# Line 1 is `policy:`; the SLO list starts on line 13.
BASE = """\
policy:
  defaults: { max_sla_ms: 6000 }
  models:
    - name: local/ollama
      endpoint: { protocol: openai, base_url: "http://127.0.0.1:11434/v1", model: llama3 }
      quota: { type: dynamic }
  routing_rules:
    - name: qa
      match: { task: qa }
      route: { prefer: [local/ollama], slo_ms: 2500 }
    - name: chat
      match: { task: chat }
  slos:
    - name: overall
      kind: latency
      objective: 0.99
    - name: qa-latency
      kind: latency
      objective: 0.95
      scope: { rule: qa }
    - name: up
      kind: availability
      objective: 0.995
      period: 7d
      reopen_within: 30m
      scope: { model: local/ollama }
    - name: drill
      kind: latency
      objective: 0.9
      threshold_ms: 1500
      period: 1h
      windows:
        - { severity: page, long: 60s, short: 10s, factor: 5 }
        - { severity: ticket, long: 5m, short: 30s, factor: 2 }
"""


def errors_of(policy: str) -> list[str]:
    with pytest.raises(PolicyError) as err:
        load_policy(policy, policy_name=P)
    return err.value.errors


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_slos_parse_with_defaults_and_thresholds_from_rules() -> None:
    snap = load_policy(BASE, policy_name=P)
    slos = {s.name: s for s in snap.slos}
    assert list(slos) == ["overall", "qa-latency", "up", "drill"]
    assert slos["overall"].threshold_ms == 6000  # policy.defaults.max_sla_ms
    assert slos["overall"].period == timedelta(days=30)
    assert slos["overall"].windows == DEFAULT_BURN_WINDOWS
    assert slos["qa-latency"].threshold_ms == 2500  # the rule's slo_ms
    assert slos["up"].threshold_ms is None
    assert slos["up"].reopen_within == timedelta(minutes=30)
    assert slos["up"].scope.matches("local/ollama", "anything")
    assert not slos["up"].scope.matches("openai/gpt", None)
    assert slos["drill"].threshold_ms == 1500
    assert slos["drill"].windows == (
        BurnWindow("page", timedelta(seconds=60), timedelta(seconds=10), 5.0),
        BurnWindow("ticket", timedelta(minutes=5), timedelta(seconds=30), 2.0),
    )
    assert snap.routing_rules[0].route.slo_ms == 2500


def test_default_windows_are_the_sre_workbook_table() -> None:
    rows = [(w.severity, w.long, w.short, w.factor) for w in DEFAULT_BURN_WINDOWS]
    assert rows == [
        ("page", timedelta(hours=1), timedelta(minutes=5), 14.4),
        ("page", timedelta(hours=6), timedelta(minutes=30), 6.0),
        ("ticket", timedelta(days=1), timedelta(hours=2), 3.0),
        ("ticket", timedelta(days=3), timedelta(hours=6), 1.0),
    ]


def test_shipped_policies_declare_slos() -> None:
    for name in ("router.policy.yml", "demo.policy.yml"):
        snap = load_policy_files(ROOT / "config" / name, ROOT / "config" / "model.windows.yml")
        kinds = {s.kind for s in snap.slos}
        assert kinds == {"latency", "availability"}, name
    demo = load_policy_files(ROOT / "config" / "demo.policy.yml")
    assert all(w.long <= timedelta(minutes=5) for s in demo.slos for w in s.windows)


def test_is_good_classifies_latency_and_availability() -> None:
    snap = load_policy(BASE, policy_name=P)
    slos = {s.name: s for s in snap.slos}
    assert slos["overall"].is_good(6000, True) is True
    assert slos["overall"].is_good(6000.5, True) is False
    assert slos["overall"].is_good(10, False) is None  # failures count for availability
    assert slos["up"].is_good(99999, True) is True
    assert slos["up"].is_good(1, False) is False


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "objective: 0.99\n",
            "objective: 99.5\n",
            f"{P}:16: policy.slos[0].objective: 99.5 looks like a percentage;"
            " write the share of good events (0.995)",
        ),
        (
            "objective: 0.99\n",
            "objective: 1\n",
            f"{P}:16: policy.slos[0].objective: must be between 0 and 1 (exclusive), got 1",
        ),
        (
            "kind: latency\n      objective: 0.99",
            "kind: speed\n      objective: 0.99",
            f"{P}:15: policy.slos[0].kind: invalid value 'speed' (expected latency|availability)",
        ),
        (
            "scope: { rule: qa }",
            "scope: { rule: nope }",
            f"{P}:20: policy.slos[1].scope.rule: unknown routing rule 'nope'",
        ),
        (
            "scope: { model: local/ollama }",
            "scope: { model: nope/x }",
            f"{P}:26: policy.slos[2].scope.model: unknown model 'nope/x'",
        ),
        (
            "period: 7d\n",
            "period: 7d\n      threshold_ms: 100\n",
            f"{P}:25: policy.slos[2].threshold_ms: only latency SLOs have a threshold",
        ),
        (
            "long: 60s, short: 10s",
            "long: 10s, short: 60s",
            f"{P}:33: policy.slos[3].windows[0].short:"
            " the short window must be shorter than the long window",
        ),
        (
            "severity: ticket, long: 5m",
            "severity: warn, long: 5m",
            f"{P}:34: policy.slos[3].windows[1].severity:"
            " invalid value 'warn' (expected page|ticket)",
        ),
        (
            "long: 5m, short: 30s, factor: 2",
            "long: 2h, short: 30s, factor: 2",
            f"{P}:34: policy.slos[3].windows[1].long:"
            " the long window must not be longer than the SLO period",
        ),
        (
            "factor: 5 }",
            "factor: 0 }",
            f"{P}:33: policy.slos[3].windows[0].factor: must be above 0, got 0",
        ),
        (
            "period: 7d\n",
            "period: 2d\n",
            f"{P}:24: policy.slos[2].period:"
            " is shorter than the default 3d burn window; give this SLO its own windows",
        ),
        (
            "name: up\n",
            "name: overall\n",
            f"{P}:21: policy.slos[2].name: duplicate SLO 'overall'",
        ),
        (
            "name: up\n",
            "name: Up Time\n",
            f"{P}:21: policy.slos[2].name: 'Up Time' must be lower-case letters, digits,"
            " '.', '_' or '-' (max 63 characters)",
        ),
        (
            "reopen_within: 30m",
            "reopen_within: soon",
            f"{P}:25: policy.slos[2].reopen_within: invalid duration 'soon'"
            " (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)",
        ),
        (
            "      objective: 0.995\n",
            "      objective: 0.995\n      burn: fast\n",
            f"{P}:24: policy.slos[2].burn: unknown key 'burn' (expected one of: description,"
            " kind, name, objective, period, reopen_within, scope, threshold_ms, windows)",
        ),
    ],
)
def test_slo_errors_name_file_line_and_path(old: str, new: str, expected: str) -> None:
    assert errors_of(edit(old, new)) == [expected]


def test_a_row_that_can_never_fire_is_an_error() -> None:
    assert errors_of(edit("objective: 0.99\n", "objective: 0.9\n")) == [
        f"{P}:16: policy.slos[0].objective: the default page row (14.4x) can never fire:"
        " 14.4 x 0.1 = 1.44 is not below 1; raise the objective or give windows"
    ]
    assert errors_of(edit("factor: 5 }", "factor: 10 }")) == [
        f"{P}:33: policy.slos[3].windows[0].factor:"
        " can never fire: factor x (1 - objective) = 10 x 0.1 = 1 is not below 1"
    ]


def test_missing_required_fields_are_all_reported() -> None:
    text = BASE + "    - { description: nothing else }\n"
    errors = errors_of(text)
    assert f"{P}:35: policy.slos[4].name: is required" in errors
    assert f"{P}:35: policy.slos[4].kind: is required (latency or availability)" in errors
    assert (
        f"{P}:35: policy.slos[4].objective: is required (share of good events, e.g. 0.995)"
        in errors
    )


def test_rule_slo_ms_must_be_positive() -> None:
    assert errors_of(edit("slo_ms: 2500", "slo_ms: 0")) == [
        f"{P}:10: policy.routing_rules[0].route.slo_ms: must be >= 1, got 0"
    ]
