"""The bench's in-process scenarios build the real services (no servers): they must keep
up with constructor changes (the planner timing once broke on WindowService's new `book`)."""

from __future__ import annotations

from bench.s_engine import run_engine
from bench.s_plan import _time_planner
from bench.scale import SMOKE


def test_planner_timing_runs_on_the_real_window_service() -> None:
    row = _time_planner(10, SMOKE, lambda _line: None)
    assert row["models"] == 10
    assert row["iterations"] >= 5
    assert row["states_plus_plan_p50_us"] > 0


def test_window_engine_scenario_runs() -> None:
    result = run_engine(SMOKE, lambda _line: None)
    assert result
