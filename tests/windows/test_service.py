"""WindowService: restart changes nothing a user sees; learning, cooldowns and lookups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from symphony.clock import FixedClock
from symphony.errors import UnknownModelError
from symphony.policy.loader import load_policy_files
from symphony.policy.model import ModelSchedule, PolicySnapshot, ScheduleSlot
from symphony.windows.admission import ReservationBook
from symphony.windows.headers import LimitReading, RateLimitObservation
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.service import COOLDOWN_MAX_S, WindowService
from symphony.windows.state import Learned
from symphony.windows.usage import UsageEvent

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 5, 4, 16, 30, tzinfo=UTC)  # 10:30 MDT, a Monday
CLAUDE = "anthropic/claude-pro"
PLUS = "openai/chatgpt-plus"
GROK = "xai/grok"


@pytest.fixture(scope="module")
def snapshot() -> PolicySnapshot:
    return load_policy_files(
        ROOT / "config" / "router.policy.yml", ROOT / "config" / "model.windows.yml"
    )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[WindowService]:
    store = SqliteUsageStore.open(tmp_path)
    yield WindowService(store, FixedClock(NOW), ReservationBook.local(FixedClock(NOW)))
    store.close()


def reopen(tmp_path: Path, at: datetime = NOW) -> WindowService:
    return WindowService(
        SqliteUsageStore.open(tmp_path), FixedClock(at), ReservationBook.local(FixedClock(at))
    )


def use(model: str, minutes_ago: float, **kw: object) -> UsageEvent:
    return UsageEvent(at=NOW - timedelta(minutes=minutes_ago), model=model, **kw)  # type: ignore[arg-type]


async def test_a_restart_changes_nothing_a_user_sees(
    tmp_path: Path, service: WindowService, snapshot: PolicySnapshot
) -> None:
    events = [
        use(CLAUDE, 100),
        use(CLAUDE, 40, prompt_tokens=900, completion_tokens=100),
        use(PLUS, 170),
        use(PLUS, 5),
        use("google/gemini-pro", 60, prompt_tokens=5000),
        use("perplexity/api", 0.2),
        use(GROK, 1),
        use("deepseek/api", 30, tenant="team"),
        use(CLAUDE, 60 * 24 * 3),  # counts toward the weekly cap only
    ]
    for item in events:
        await service.record(item)
    service.record_sync(use("local/ollama", 1))
    await service.observe(
        GROK,
        NOW - timedelta(minutes=2),
        resets_at=NOW + timedelta(minutes=5),
        remaining=40.0,
        cap=60.0,
        source="headers",
    )
    await service.observe(
        CLAUDE,
        NOW - timedelta(minutes=10),
        resets_at=NOW + timedelta(hours=2),
        schedule=snapshot.schedules[CLAUDE],
    )
    await service.cooldown("deepseek/api", NOW - timedelta(seconds=1), retry_after_s=60)
    before = [s.to_dict() for s in service.matrix(snapshot, NOW)]
    assert next(s for s in before if s["model"] == GROK)["remaining"] == 39
    service.store.close()

    again = reopen(tmp_path)
    try:
        assert again.load() == len(events) + 1
        assert again.learned == service.learned
        assert [s.to_dict() for s in again.matrix(snapshot, NOW)] == before
        again.load()  # loading again replaces, never doubles
        assert [s.to_dict() for s in again.matrix(snapshot, NOW)] == before
        assert again.index.count == len(events) + 1
    finally:
        again.store.close()


async def test_load_reads_only_the_recent_history(tmp_path: Path, service: WindowService) -> None:
    await service.record(use(PLUS, 60 * 24 * 40))
    await service.record(use(PLUS, 60))
    service.store.close()
    again = reopen(tmp_path)
    try:
        assert again.load() == 1
    finally:
        again.store.close()


async def test_unknown_models_and_tenant_power_windows(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    with pytest.raises(UnknownModelError) as err:
        service.state(snapshot, "nobody/model", NOW)
    assert err.value.message == "unknown model 'nobody/model'"
    gemini = service.state(snapshot, "google/gemini-pro", NOW)
    # The tenant's 18:00 UTC weekday window, not the schedule's 13:00 MDT slot, comes first.
    assert gemini.next_power_window is not None
    assert gemini.next_power_window.start == datetime(2026, 5, 4, 18, 0, tzinfo=UTC)
    elsewhere = service.state(snapshot, "google/gemini-pro", NOW, tenant="nobody")
    assert elsewhere.next_power_window is not None
    assert elsewhere.next_power_window.start == datetime(2026, 5, 4, 19, 0, tzinfo=UTC)
    assert [s.model for s in service.matrix(snapshot, NOW)] == [m.name for m in snapshot.models]


async def test_cooldown_backs_off_exponentially_and_honours_retry_after(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    waits = []
    for _ in range(3):
        learned = await service.cooldown(GROK, NOW, retry_after_s=None)
        assert learned.cooldown_until is not None
        waits.append((learned.cooldown_until - NOW).total_seconds())
    assert waits == [2.0, 4.0, 8.0]
    learned = await service.cooldown(GROK, NOW, retry_after_s=30)
    assert learned.cooldown_until == NOW + timedelta(seconds=30)
    assert learned.strikes == 4
    state = service.state(snapshot, GROK, NOW + timedelta(seconds=10))
    assert (state.open, state.closed_reason) == (False, "cooldown")
    assert state.cooldown_until == NOW + timedelta(seconds=30)
    # A shorter Retry-After never shortens a running cooldown.
    learned = await service.cooldown(GROK, NOW, retry_after_s=0.5)
    assert learned.cooldown_until == NOW + timedelta(seconds=32)
    for _ in range(10):
        learned = await service.cooldown(GROK, NOW, retry_after_s=None)
    assert learned.cooldown_until == NOW + timedelta(seconds=COOLDOWN_MAX_S)
    await service.succeeded(GROK)
    assert (service.learned[GROK].strikes, service.learned[GROK].cooldown_until) == (0, None)
    assert service.state(snapshot, GROK, NOW).open
    await service.succeeded(GROK)  # nothing to clear
    await service.succeeded("never/seen")
    assert "never/seen" not in service.learned


async def test_cooldown_and_learning_survive_a_restart(
    tmp_path: Path, service: WindowService
) -> None:
    await service.cooldown(GROK, NOW, retry_after_s=90)
    await service.observe(
        PLUS, NOW, resets_at=NOW + timedelta(minutes=15), remaining=3.0, note="x" * 600
    )
    assert len(service.learned[PLUS].note) == 500
    service.store.close()
    again = reopen(tmp_path)
    try:
        again.load()
        assert again.learned[GROK].cooldown_until == NOW + timedelta(seconds=90)
        assert again.learned[GROK].strikes == 1
        assert again.learned[PLUS] == service.learned[PLUS]
    finally:
        again.store.close()


async def test_operator_observation_phase_locks_a_session(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    await service.record(use(CLAUDE, 70))  # 09:20 MDT: session 09:00-14:00 from usage alone
    assert service.state(snapshot, CLAUDE, NOW).resets_at == datetime(2026, 5, 4, 20, 0, tzinfo=UTC)
    reset = datetime(2026, 5, 4, 20, 40, tzinfo=UTC)
    learned = await service.observe(
        CLAUDE, NOW, resets_at=reset, remaining=30.0, cap=45.0, note="operator: 30 left until 14:40"
    )
    assert learned.cap == 45.0
    state = service.state(snapshot, CLAUDE, NOW)
    assert (state.resets_at, state.source, state.remaining) == (reset, "learned", 30)
    # A later observation without a cap keeps the learned cap.
    learned = await service.observe(CLAUDE, NOW, resets_at=reset, remaining=29.0)
    assert (learned.cap, learned.remaining) == (45.0, 29.0)


async def test_observation_shifts_a_phase_locked_schedule(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    sched = snapshot.schedules[CLAUDE]  # 05:00 10:00 15:00 20:00 Denver, phase_lock
    learned = await service.observe(
        CLAUDE, NOW, resets_at=datetime(2026, 5, 4, 21, 10, tzinfo=UTC), schedule=sched
    )
    assert learned.schedule_shift_s == 600.0  # 15:10 MDT is 10 minutes after the 15:00 slot
    assert learned.shift_next_only is False
    window = service.state(snapshot, CLAUDE, NOW).next_power_window
    assert window is not None
    assert window.start_local == "2026-05-04T10:10:00-06:00"
    later = service.state(snapshot, CLAUDE, NOW + timedelta(days=1)).next_power_window
    assert later is not None
    assert later.start_local == "2026-05-05T10:10:00-06:00"  # every slot moved


async def test_observation_shifts_only_the_next_slot_with_shift_to_next_reset(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    sched = snapshot.schedules[PLUS]  # 06:05 09:05 12:05 ... Denver, shift_to_next_reset
    reset = datetime(2026, 5, 4, 18, 20, tzinfo=UTC)  # 12:20 MDT
    learned = await service.observe(PLUS, NOW, resets_at=reset, schedule=sched)
    assert (learned.schedule_shift_s, learned.shift_next_only) == (900.0, True)
    assert learned.shift_origin == datetime(2026, 5, 4, 18, 5, tzinfo=UTC)
    window = service.state(snapshot, PLUS, NOW).next_power_window
    assert window is not None
    assert (window.start, window.end) == (reset, reset + timedelta(minutes=25))
    after = service.state(snapshot, PLUS, reset + timedelta(hours=1)).next_power_window
    assert after is not None
    assert after.start_local == "2026-05-04T15:05:00-06:00"  # the rest stay put


async def test_observation_without_a_schedule_action_does_not_shift(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    gemini = snapshot.schedules["google/gemini-pro"]
    assert gemini.action is None
    learned = await service.observe("google/gemini-pro", NOW, resets_at=NOW, schedule=gemini)
    assert learned.schedule_shift_s == 0.0
    learned = await service.observe(CLAUDE, NOW, remaining=3.0, schedule=snapshot.schedules[CLAUDE])
    assert learned.schedule_shift_s == 0.0
    never = ModelSchedule(
        key="k",
        model=CLAUDE,
        tz="UTC",
        action="phase_lock",
        slots=(ScheduleSlot(frozenset(), time(5), timedelta(hours=1)),),
    )
    learned = await service.observe(CLAUDE, NOW, resets_at=NOW, schedule=never)
    assert learned.schedule_shift_s == 0.0  # no occurrence to move


async def test_observe_headers_uses_the_binding_limit(
    service: WindowService, snapshot: PolicySnapshot
) -> None:
    obs = RateLimitObservation(
        readings=(
            LimitReading("requests", 100, 80, NOW + timedelta(seconds=30)),
            LimitReading("tokens", 10_000, 500, NOW + timedelta(seconds=45)),
        ),
        retry_after_s=None,
    )
    learned = await service.observe_headers(GROK, obs, NOW)
    assert learned is not None
    assert (learned.source, learned.cap, learned.remaining) == ("headers", 10_000, 500)
    assert learned.note == "tokens from response headers"
    state = service.state(snapshot, GROK, NOW)
    assert (state.source, state.remaining, state.resets_at) == (
        "headers",
        500,
        NOW + timedelta(seconds=45),
    )
    bare = RateLimitObservation(
        readings=(LimitReading("requests", None, None, None),), retry_after_s=None
    )
    learned = await service.observe_headers(GROK, bare, NOW)
    assert learned is not None
    assert (learned.remaining, learned.cap) == (None, 10_000)
    empty = RateLimitObservation(readings=(), retry_after_s=1.0)
    assert await service.observe_headers(GROK, empty, NOW) is None


async def test_learned_equality_helper() -> None:
    assert Learned(model="a/b") == Learned.from_json(Learned(model="a/b").to_json())
