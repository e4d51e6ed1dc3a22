"""Hypothesis properties of the bucket ring and the SLO evaluator."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.incidents.slo import SloEvaluator
from symphony.incidents.slo_series import BucketRing
from symphony.policy.model import BurnWindow, SloSpec

BASE = datetime(2026, 3, 8, 8, 0, tzinfo=UTC).timestamp()

events = st.lists(
    st.tuples(st.floats(min_value=0, max_value=5_000, allow_nan=False), st.booleans()),
    max_size=200,
)


def reference(
    items: list[tuple[float, bool]], width: float, now: float, length: float
) -> tuple[int, int]:
    """The documented window: buckets (idx(now) - ceil(length/width), idx(now)]."""
    now_idx = math.floor(now / width)
    lowest = now_idx - max(1, math.ceil(length / width))
    good = bad = 0
    for t, ok in items:
        idx = math.floor(t / width)
        if lowest < idx <= now_idx:
            good += ok
            bad += not ok
    return good, bad


@settings(max_examples=200, deadline=None)
@given(
    items=events,
    width=st.sampled_from([0.5, 1.0, 7.0, 30.0]),
    horizon=st.floats(min_value=10, max_value=3_000),
    lengths=st.lists(st.floats(min_value=1, max_value=3_000), min_size=1, max_size=6),
    lag=st.floats(min_value=0, max_value=2_000),
)
def test_ring_matches_the_reference_window(
    items: list[tuple[float, bool]],
    width: float,
    horizon: float,
    lengths: list[float],
    lag: float,
) -> None:
    ring = BucketRing(width, horizon)
    for t, ok in items:  # any order, including far in the past
        ring.add(BASE + t, ok)
    now = BASE + max((t for t, _ in items), default=0) + lag
    lengths = [min(length, horizon) for length in lengths]
    assert ring.totals(now, lengths) == [
        reference([(BASE + t, ok) for t, ok in items], width, now, length) for length in lengths
    ]


@settings(max_examples=100, deadline=None)
@given(items=events, width=st.sampled_from([1.0, 10.0]))
def test_ring_memory_is_fixed(items: list[tuple[float, bool]], width: float) -> None:
    ring = BucketRing(width, 600)
    for t, ok in items:
        ring.add(BASE + t * 100, ok)
    expected = math.ceil(600 / width) + 1
    assert ring.slots == expected
    assert all(len(column) == expected for column in (ring._index, ring._good, ring._bad))


SPEC = SloSpec(
    name="p",
    kind="availability",
    objective=0.9,
    period=timedelta(hours=2),
    windows=(
        BurnWindow("page", timedelta(seconds=60), timedelta(seconds=10), 5.0),
        BurnWindow("ticket", timedelta(minutes=10), timedelta(minutes=1), 1.5),
    ),
)


@settings(max_examples=150, deadline=None)
@given(items=events, extra_ok=st.booleans(), at=st.floats(min_value=0, max_value=5_000))
def test_a_bad_event_never_lowers_a_burn_rate_and_a_good_one_never_raises_it(
    items: list[tuple[float, bool]], extra_ok: bool, at: float
) -> None:
    now = datetime.fromtimestamp(BASE + 5_000, UTC)
    ev = SloEvaluator([SPEC])
    for t, ok in items:
        ev.record("m", None, 1, ok, datetime.fromtimestamp(BASE + t, UTC))
    before = ev.status(now)[0].burn_rates
    ev.record("m", None, 1, extra_ok, datetime.fromtimestamp(BASE + at, UTC))
    after = ev.status(now)[0].burn_rates
    for label, rate in before.items():
        if rate is None or after[label] is None:
            continue
        if extra_ok:
            assert after[label] <= rate + 1e-12
        else:
            assert after[label] >= rate - 1e-12


@settings(max_examples=100, deadline=None)
@given(
    items=events,
    order=st.randoms(use_true_random=False),
)
def test_order_of_arrival_does_not_matter(items: list[tuple[float, bool]], order: object) -> None:
    now = datetime.fromtimestamp(BASE + 5_000, UTC)
    a, b = SloEvaluator([SPEC]), SloEvaluator([SPEC])
    for t, ok in items:
        a.record("m", None, 1, ok, datetime.fromtimestamp(BASE + t, UTC))
    shuffled = list(items)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    for t, ok in shuffled:
        b.record("m", None, 1, ok, datetime.fromtimestamp(BASE + t, UTC))
    assert a.status(now)[0] == b.status(now)[0]


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=1, max_value=30), st.integers(0, 10), st.integers(0, 10)),
        min_size=1,
        max_size=60,
    )
)
def test_alerts_form_a_well_formed_sequence(steps: list[tuple[int, int, int]]) -> None:
    ev = SloEvaluator([SPEC])
    now = datetime.fromtimestamp(BASE, UTC)
    active: str | None = None
    for advance, good, bad in steps:
        now += timedelta(seconds=advance)
        for _ in range(good):
            ev.record("m", None, 1, True, now)
        for _ in range(bad):
            ev.record("m", None, 1, False, now)
        for alert in ev.evaluate(now):
            if alert.state == "firing":
                assert alert.severity != active  # a repeat is never re-announced
                assert alert.previous == active
                active = alert.severity
            else:
                assert alert.severity == active  # resolves what was firing
                active = None
        status = ev.status(now)[0]
        assert (None if status.status == "ok" else status.status) == active
        assert status.budget_remaining <= 1.0
        assert (status.budget_remaining == 1.0) == (status.bad == 0)
