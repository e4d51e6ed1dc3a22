"""Hypothesis properties of the window engine over random usage streams and instants."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.policy.model import (
    DynamicQuota,
    FixedEveryQuota,
    FixedQuota,
    HeaderDrivenQuota,
    ModelSchedule,
    ModelSpec,
    PowerWindow,
    Quota,
    RollingQuota,
    ScheduleSlot,
)
from symphony.windows.engine import compute_state
from symphony.windows.state import Learned, WindowState
from symphony.windows.usage import UsageEvent, UsageIndex, measure_of

MODEL = "m/x"
BASE = datetime(2026, 3, 1, tzinfo=UTC)  # the range covers both 2026 DST changes
SPAN = 70 * 86400
ZONES = ("America/Denver", "America/Los_Angeles", "UTC", "Asia/Kolkata", "Australia/Lord_Howe")
FAST = settings(max_examples=150, deadline=None)

caps = st.integers(min_value=0, max_value=30)
units = st.sampled_from(["messages", "requests", "tokens"])
clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))

rolling = st.builds(
    RollingQuota,
    window=st.integers(60, 8 * 3600).map(lambda s: timedelta(seconds=s)),
    anchor=st.sampled_from(["sliding", "first_use"]),
    align=st.sampled_from(["none", "hour"]),
    unit=units,
    cap=st.one_of(st.none(), caps),
    weekly_cap=st.one_of(st.none(), st.integers(0, 60)),
)
fixed = st.builds(
    FixedQuota,
    period=st.sampled_from(["daily", "weekly", "monthly"]),
    tz=st.sampled_from(ZONES),
    at=clock,
    rpd=st.one_of(st.none(), caps),
    tpd=st.one_of(st.none(), st.integers(0, 20_000)),
)
fixed_every = st.builds(
    FixedEveryQuota,
    period=st.integers(1, 7200).map(lambda s: timedelta(seconds=s)),
    unit=units,
    cap=st.one_of(st.none(), caps),
)
quotas: st.SearchStrategy[Quota] = st.one_of(
    rolling,
    fixed,
    fixed_every,
    st.builds(HeaderDrivenQuota, unit=units),
    st.builds(DynamicQuota, unit=units),
)
instants = st.integers(0, SPAN).map(lambda s: BASE + timedelta(seconds=s))


@st.composite
def scenarios(
    draw: st.DrawFn, before: int = 3 * 86400, after: int = 6 * 3600
) -> tuple[list[tuple[int, int, int]], datetime]:
    """Usage clustered around `now` (so windows fill up), with some anywhere in the span."""
    now = draw(st.integers(before, SPAN - after))
    near = st.integers(now - before, now + after)
    stream = draw(
        st.lists(
            st.tuples(
                st.one_of(near, near, st.integers(0, SPAN)), st.integers(1, 3), st.integers(0, 4000)
            ),
            max_size=60,
        )
    )
    return stream, BASE + timedelta(seconds=now)


learned_states = st.one_of(
    st.none(),
    st.builds(
        Learned,
        model=st.just(MODEL),
        observed_at=st.one_of(st.none(), instants),
        resets_at=st.one_of(st.none(), instants),
        remaining=st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
        cap=st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
        source=st.sampled_from(["learned", "headers", "heuristic"]),
        cooldown_until=st.one_of(st.none(), instants),
        schedule_shift_s=st.sampled_from([0.0, 600.0, -900.0]),
        shift_next_only=st.booleans(),
        shift_origin=st.one_of(st.none(), instants),
    ),
)
schedules = st.one_of(
    st.none(),
    st.builds(
        ModelSchedule,
        key=st.just("k"),
        model=st.just(MODEL),
        tz=st.sampled_from(ZONES),
        slots=st.lists(
            st.builds(
                ScheduleSlot,
                days=st.frozensets(st.integers(0, 6), min_size=1),
                at=clock,
                duration=st.integers(60, 4 * 3600).map(lambda s: timedelta(seconds=s)),
            ),
            max_size=3,
        ).map(tuple),
    ),
)
crons = st.lists(
    st.builds(
        PowerWindow,
        model=st.just(MODEL),
        when_cron=st.sampled_from(["0 18 * * 1-5", "30 2 * * *", "*/20 * * * *", "5 1 1 * *"]),
        duration=st.integers(60, 3 * 3600).map(lambda s: timedelta(seconds=s)),
        tz=st.one_of(st.none(), st.sampled_from(ZONES)),
    ),
    max_size=2,
).map(tuple)


def build(quota: Quota, stream: list[tuple[int, int, int]]) -> tuple[ModelSpec, UsageIndex]:
    spec = ModelSpec(name=MODEL, provider="m", model_class="hosted", quota=quota)
    index = UsageIndex()
    for offset, requests, tokens in stream:
        index.add(
            UsageEvent(
                at=BASE + timedelta(seconds=offset),
                model=MODEL,
                requests=requests,
                prompt_tokens=tokens,
            )
        )
    return spec, index


def recorded(stream: list[tuple[int, int, int]], now: datetime, measure: str) -> float:
    limit = (now - BASE).total_seconds()
    return float(
        sum(
            (tokens if measure == "tokens" else requests)
            for offset, requests, tokens in stream
            if offset <= limit
        )
    )


def check_invariants(s: WindowState, now: datetime) -> None:
    assert s.used >= 0
    if s.remaining is not None:
        assert s.remaining >= 0
        assert s.cap is not None
    if s.remaining_fraction is not None:
        assert 0.0 <= s.remaining_fraction <= 1.0
    if s.resets_at is not None:
        assert s.resets_at > now
        assert s.eta_seconds is not None
        assert s.eta_seconds > 0
        assert s.resets_at_local is not None
    else:
        assert s.eta_seconds is None
    if s.projected_depletion_at is not None:
        assert s.projected_depletion_at > now
    if s.cooldown_until is not None:
        assert s.cooldown_until > now
        assert not s.open
    if s.next_power_window is not None:
        assert s.next_power_window.end > now
        assert s.power_window_open == (s.next_power_window.start <= now)
    else:
        assert not s.power_window_open
    assert s.burn_rate_per_hour >= 0
    assert s.open == (s.closed_reason is None)


Scenario = tuple[list[tuple[int, int, int]], datetime]


@FAST
@given(quota=quotas, scenario=scenarios())
def test_remaining_never_negative_and_used_never_exceeds_recorded_usage(
    quota: Quota, scenario: Scenario
) -> None:
    stream, now = scenario
    spec, index = build(quota, stream)
    s = compute_state(spec, index, now, reserve_fraction=0.2)
    check_invariants(s, now)
    measure = "tokens" if s.binding == "tokens" else measure_of(quota.unit)
    assert s.used <= recorded(stream, now, measure)


@FAST
@given(
    quota=quotas,
    scenario=scenarios(),
    learned=learned_states,
    schedule=schedules,
    cron=crons,
    tz=st.sampled_from(ZONES),
)
def test_invariants_hold_with_observations_and_power_windows(
    quota: Quota,
    scenario: Scenario,
    learned: Learned | None,
    schedule: ModelSchedule | None,
    cron: tuple[PowerWindow, ...],
    tz: str,
) -> None:
    stream, now = scenario
    spec, index = build(quota, stream)
    s = compute_state(
        spec,
        index,
        now,
        learned=learned,
        schedule=schedule,
        tenant_windows=cron,
        reserve_fraction=0.2,
        tz=tz,
    )
    check_invariants(s, now)


@FAST
@given(
    window=st.integers(60, 6 * 3600),
    cap=st.integers(1, 10),
    unit=units,
    scenario=scenarios(before=8 * 3600, after=0),
)
def test_an_exhausted_sliding_window_frees_a_unit_exactly_at_resets_at(
    window: int, cap: int, unit: str, scenario: Scenario
) -> None:
    stream, now = scenario
    quota = RollingQuota(window=timedelta(seconds=window), unit=unit, cap=cap)  # type: ignore[arg-type]
    limit = (now - BASE).total_seconds()
    spec, index = build(quota, [e for e in stream if e[0] <= limit])
    s = compute_state(spec, index, now)
    if not s.exhausted:
        return
    assert s.resets_at is not None
    after = compute_state(spec, index, s.resets_at)
    assert after.remaining is not None
    assert after.remaining >= 1
    before = compute_state(spec, index, s.resets_at - timedelta(milliseconds=1))
    assert before.remaining is not None
    assert before.remaining < 1


@FAST
@given(
    window=st.integers(600, 6 * 3600),
    align=st.sampled_from(["none", "hour"]),
    scenario=scenarios(before=12 * 3600, after=0),
)
def test_a_session_ends_at_resets_at(window: int, align: str, scenario: Scenario) -> None:
    stream, now = scenario
    quota = RollingQuota(window=timedelta(seconds=window), anchor="first_use", align=align, cap=5)  # type: ignore[arg-type]
    limit = (now - BASE).total_seconds()
    spec, index = build(quota, [e for e in stream if e[0] <= limit])
    s = compute_state(spec, index, now)
    if s.resets_at is None:
        assert (s.used, s.remaining) == (0, 5)
        return
    assert s.resets_at - now <= timedelta(seconds=window)
    after = compute_state(spec, index, s.resets_at)
    assert (after.used, after.remaining, after.resets_at) == (0, 5, None)
