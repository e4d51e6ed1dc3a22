"""The stream of facts: one typed payload per event type, published as declared."""

from __future__ import annotations

from datetime import UTC, datetime

from symphony.clock import FixedClock
from symphony.events.bus import EVENT_TYPES, EventBus
from symphony.events.facts import FACTS, EventType, RateLimited, RouteExecuted, WindowUpdated


def test_every_event_type_has_exactly_one_payload_class() -> None:
    declared = [fact.TYPE for fact in FACTS]
    assert sorted(declared) == sorted(EventType)
    assert len(set(declared)) == len(declared)
    assert set(EVENT_TYPES) == {t.value for t in EventType}


def test_payload_keeps_required_none_and_drops_unset_optional_fields() -> None:
    fact = RouteExecuted(
        audit_id="aud_1", plan_id="pln_1", model="local/ollama", rule=None, ok=True,
        tenant="default", latency_ms=12.5, cost_usd=0.0, attempts=1, stopped_reason=None,
        fallback=False,
    )  # fmt: skip
    assert fact.payload() == {
        "audit_id": "aud_1", "plan_id": "pln_1", "model": "local/ollama", "rule": None,
        "ok": True, "tenant": "default", "latency_ms": 12.5, "cost_usd": 0.0, "attempts": 1,
        "stopped_reason": None, "fallback": False,
    }  # fmt: skip
    window = WindowUpdated(model="xai/grok", source="headers", remaining=0.0, cap=60.0)
    assert window.payload() == {"model": "xai/grok", "source": "headers", "remaining": 0.0,
                                "cap": 60.0}  # fmt: skip


def test_emit_publishes_the_type_and_payload_subscribers_receive() -> None:
    bus = EventBus(FixedClock(datetime(2026, 12, 1, tzinfo=UTC)))
    sub, _, _ = bus.subscribe(["rate.limit"])
    event = bus.emit(RateLimited(scope="key", key="ci", retry_after_s=1.5))
    assert event.type == "rate.limit"
    assert event.data() == {"type": "rate.limit", "at": "2026-12-01T00:00:00Z", "scope": "key",
                            "retry_after_s": 1.5, "key": "ci"}  # fmt: skip
    assert sub.queue.get_nowait() is event
