"""Header-driven and dynamic windows, cooldowns, reserve hold, burn rate and depletion."""

from __future__ import annotations

from datetime import datetime, timedelta

from symphony.clock import parse_instant
from symphony.policy.model import (
    DynamicQuota,
    HeaderDrivenQuota,
    ModelSpec,
    Quota,
    QuotaUnit,
    RollingQuota,
)
from symphony.windows.engine import compute_state
from symphony.windows.state import Learned, WindowState
from symphony.windows.usage import UsageEvent, UsageIndex

MODEL = "xai/grok"


def t(hhmm: str) -> datetime:
    return parse_instant(f"2026-05-04T{hhmm}:00Z")


def spec(quota: Quota | None = None, unit: QuotaUnit = "requests") -> ModelSpec:
    return ModelSpec(
        name=MODEL,
        provider="xai",
        model_class="hosted",
        quota=quota or HeaderDrivenQuota(unit=unit),
    )


def usage(*times: str, tokens: int = 0) -> UsageIndex:
    index = UsageIndex()
    for when in times:
        index.add(UsageEvent(at=t(when), model=MODEL, prompt_tokens=tokens))
    return index


def state(
    model: ModelSpec,
    index: UsageIndex,
    now: str,
    learned: Learned | None = None,
    reserve: float = 0.0,
) -> WindowState:
    return compute_state(model, index, t(now), learned=learned, reserve_fraction=reserve)


def headers(**values: object) -> Learned:
    base: dict[str, object] = {
        "model": MODEL,
        "observed_at": t("12:00"),
        "resets_at": t("12:05"),
        "remaining": 10.0,
        "cap": 100.0,
        "source": "headers",
    }
    base.update(values)
    return Learned(**base)  # type: ignore[arg-type]


def test_without_observations_the_cap_is_unknown() -> None:
    s = state(spec(), usage("10:30", "11:15", "11:45"), "12:00")
    assert s.kind == "header_driven"
    assert s.label == "header-driven"
    assert (s.used, s.cap, s.remaining, s.remaining_fraction) == (2, None, None, None)
    assert (s.resets_at, s.source, s.open) == (None, "heuristic", True)
    dynamic = state(spec(DynamicQuota()), usage("11:15"), "12:00")
    assert (dynamic.kind, dynamic.label, dynamic.used) == ("dynamic", "dynamic", 1)
    tokens = state(spec(unit="tokens"), usage("11:15", "11:30", tokens=700), "12:00")
    assert tokens.used == 1400


def test_usage_since_the_observation_is_subtracted() -> None:
    index = usage("11:59", "12:01", "12:02")
    s = state(spec(), index, "12:03", headers())
    assert (s.cap, s.remaining, s.used) == (100, 8, 92)
    assert s.source == "headers"
    assert s.resets_at == t("12:05")
    assert s.eta_seconds == 120
    exhausted = state(
        spec(), usage(*[f"12:0{i}" for i in range(1, 4)]), "12:04", headers(remaining=2.0)
    )
    assert (exhausted.remaining, exhausted.open, exhausted.closed_reason) == (
        0,
        False,
        "quota_exhausted",
    )


def test_a_passed_reset_means_full_capacity() -> None:
    s = state(spec(), usage("12:01", "12:02"), "12:06", headers())
    assert (s.used, s.cap, s.remaining, s.remaining_fraction) == (0, 100, 100, 1.0)
    assert s.resets_at is None
    assert s.source == "headers"


def test_remaining_without_a_cap_stands_in_for_the_cap() -> None:
    s = state(spec(), usage("12:01", "12:02"), "12:03", headers(cap=None))
    assert (s.cap, s.used, s.remaining) == (10, 2, 8)


def test_observation_of_a_cap_alone() -> None:
    s = state(spec(), usage("12:01"), "12:03", headers(remaining=None, resets_at=None))
    assert (s.cap, s.used, s.remaining, s.resets_at) == (100, 0, 100, None)


def test_an_observation_after_now_is_not_known_at_now() -> None:
    s = state(spec(), usage("11:30"), "11:45", headers())
    assert (s.cap, s.source) == (None, "heuristic")


def test_dynamic_quota_uses_observations_too() -> None:
    s = state(spec(DynamicQuota()), usage("12:01"), "12:02", headers(source="learned"))
    assert (s.kind, s.remaining, s.source) == ("dynamic", 9, "learned")


def test_cooldown_closes_the_window_until_it_ends() -> None:
    learned = Learned(model=MODEL, cooldown_until=t("12:10"), strikes=2)
    s = state(spec(), usage(), "12:00", learned)
    assert not s.open
    assert s.closed_reason == "cooldown"
    assert s.cooldown_until == t("12:10")
    after = state(spec(), usage(), "12:10", learned)
    assert after.open
    assert after.cooldown_until is None
    assert after.closed_reason is None


def test_reserve_hold_when_remaining_is_inside_the_reserve() -> None:
    model = spec(RollingQuota(window=timedelta(hours=3), cap=10))
    eight = usage(*[f"11:{m:02d}" for m in range(0, 40, 5)])
    assert state(model, eight, "12:00", reserve=0.2).reserve_hold
    seven = usage(*[f"11:{m:02d}" for m in range(0, 35, 5)])
    s = state(model, seven, "12:00", reserve=0.2)
    assert not s.reserve_hold
    assert s.open  # the reserve is advisory: the window stays open
    assert not state(model, eight, "12:00", reserve=0.1).reserve_hold


def test_burn_rate_and_projected_depletion() -> None:
    model = spec(RollingQuota(window=timedelta(hours=3), cap=20))
    ten = usage(*[f"11:{m:02d}" for m in range(5, 55, 5)])
    s = state(model, ten, "12:00")
    assert s.burn_rate_per_hour == 10
    assert s.remaining == 10
    assert s.resets_at == t("14:05")
    assert s.projected_depletion_at == t("13:00")  # 10 left at 10 an hour
    # When the window resets before it would run dry, there is no depletion.
    slow = spec(RollingQuota(window=timedelta(hours=3), cap=100))
    assert state(slow, ten, "12:00").projected_depletion_at is None
    # Only the last hour counts toward the burn rate.
    assert state(model, usage("10:30", "11:30"), "12:00").burn_rate_per_hour == 1
    unknown = state(spec(), ten, "12:00")
    assert unknown.burn_rate_per_hour == 10
    assert unknown.projected_depletion_at is None  # no cap, no depletion
    dry = state(model, usage(*[f"11:{m:02d}" for m in range(0, 60, 3)]), "12:00")
    assert dry.remaining == 0
    assert dry.projected_depletion_at is None


def test_to_dict_is_json_ready() -> None:
    model = spec(RollingQuota(window=timedelta(hours=3), cap=20))
    s = compute_state(
        model,
        usage("11:05", "11:10"),
        t("12:00"),
        tz="America/Denver",
        reserve_fraction=0.2,
        learned=Learned(model=MODEL, cooldown_until=t("12:01")),
    )
    assert s.to_dict() == {
        "model": MODEL,
        "kind": "rolling_3h",
        "label": "rolling 3h",
        "unit": "messages",
        "open": False,
        "used": 2,
        "cap": 20,
        "remaining": 18,
        "remaining_fraction": 0.9,
        "resets_at": "2026-05-04T14:05:00Z",
        "resets_at_local": "2026-05-04T08:05:00-06:00",
        "eta_seconds": 7500.0,
        "source": "configured",
        "reserve_hold": False,
        "burn_rate_per_hour": 2.0,
        "projected_depletion_at": None,
        "power_window_open": False,
        "next_power_window": None,
        "cooldown_until": "2026-05-04T12:01:00Z",
        "binding": "window",
        "closed_reason": "cooldown",
        "reserved": 0,
    }
