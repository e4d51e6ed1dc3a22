"""Small pieces of the loader: durations, clock times, problem locations, odd shapes."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from symphony.errors import PolicyError
from symphony.policy.durations import format_duration, parse_clock, parse_duration
from symphony.policy.loader import load_policy
from symphony.policy.model import DynamicQuota, FixedQuota
from symphony.policy.problems import Problems, format_path, line_map


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3h", 10800),
        ("90m", 5400),
        ("60s", 60),
        ("1h30m", 5400),
        ("7d", 604800),
        ("1w", 604800),
        ("1.5h", 5400),
        (" 5H ", 18000),
        ("00:25", 1500),
        ("1:30", 5400),
        (90, 90),
        (2.5, 2.5),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3x", "invalid duration '3x' (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)"),
        ("", "invalid duration '' (use e.g. 3h, 90m, 60s, 1h30m or HH:MM)"),
        (True, "invalid duration True"),
        (None, "invalid duration None"),
        ([1], "invalid duration [1]"),
        (0, "duration '0' must be positive"),
        ("0s", "duration '0s' must be positive"),
        (-5, "duration '-5' must be positive"),
    ],
)
def test_parse_duration_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value)
    assert str(err.value) == message


def test_parse_clock() -> None:
    assert parse_clock("06:05") == time(6, 5)
    assert parse_clock(" 9:30 ") == time(9, 30)
    assert parse_clock(365) == time(6, 5)  # YAML 1.1 sexagesimal, if a loader produced one
    for bad in ("24:00", "12:60", "noon", None, True, 1.5):
        with pytest.raises(ValueError, match="invalid time of day"):
            parse_clock(bad)


def test_format_duration() -> None:
    assert format_duration(timedelta(0)) == "0s"
    assert format_duration(timedelta(hours=3)) == "3h"
    assert format_duration(timedelta(days=1, hours=2, minutes=3, seconds=4)) == "1d2h3m4s"


def test_problem_locations() -> None:
    assert format_path(()) == "<root>"
    assert format_path(("policy", "models", 3, "quota", "window")) == (
        "policy.models[3].quota.window"
    )
    assert format_path((0, "a")) == "[0].a"
    text = "policy:\n  models:\n    - name: a/b\n      quota: {type: rolling}\n"
    lines = line_map(text)
    assert lines[("policy",)] == 1
    assert lines[("policy", "models", 0)] == 3
    assert lines[("policy", "models", 0, "quota", "type")] == 4
    assert line_map("a: [") == {}
    assert line_map("") == {}
    problems = Problems()
    assert not problems
    problems.add(("a", 1), "is odd")  # no file lines known
    problems.use("p.yml", lines)
    problems.add(("policy", "models", 0, "quota", "window"), "is required")  # nearest parent
    problems.add_raw("p.yml: raw")
    problems.extend(["w.yml:1: x"])
    assert problems
    assert problems.errors == [
        "<policy>: a[1]: is odd",
        "p.yml:4: policy.models[0].quota.window: is required",
        "p.yml: raw",
        "w.yml:1: x",
    ]


def test_loader_edge_shapes() -> None:
    snap = load_policy(
        """
policy:
  models:
    - name: a/plain
    - name: a/fixed
      allow_tasks: qa
      quota: { type: fixed, cap: 7 }
work_unit_overrides_schema:
  tokens_max: { max: 4096 }
  temperature: { min: 0.2 }
"""
    )
    plain, fixed = snap.models
    assert plain.quota == DynamicQuota()  # no quota: tracked dynamically
    assert fixed.allow_tasks == ("qa",)
    assert fixed.quota == FixedQuota(rpd=7)
    assert snap.overrides_schema.tokens_max_limit == 4096
    assert (snap.overrides_schema.temperature_min, snap.overrides_schema.temperature_max) == (
        0.2,
        1.5,
    )


def test_non_mapping_entries_are_reported_once() -> None:
    text = """
policy:
  models: [42]
tenants:
  default:
    power_windows: [nope]
"""
    with pytest.raises(PolicyError) as err:
        load_policy(text, windows_text="models:\n  claude_pro:\n    schedule: [7]\n")
    assert err.value.errors == [
        "router.policy.yml:3: policy.models[0]: expected a mapping, got int",
        "router.policy.yml:6: tenants.default.power_windows[0]: expected a mapping, got str",
        "model.windows.yml:3: models.claude_pro.schedule[0]: expected a mapping, got int",
        "model.windows.yml:2: models.claude_pro: schedule names unknown model"
        " 'anthropic/claude-pro'",
    ]


def test_unreadable_yaml_characters() -> None:
    with pytest.raises(PolicyError) as err:
        load_policy("policy: \x07\n")
    (error,) = err.value.errors
    assert error.startswith("router.policy.yml: invalid YAML: unacceptable character")
