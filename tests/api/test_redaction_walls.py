"""Free text from upstreams and operators is redacted before it is kept or returned.

The attack of issue 11 (item 7): an upstream error text echoing an IBAN, a Stripe key and
a phone number reached `attempts[].reason` and the result's `logs`; an operator's window
note with an email, a phone and a card was stored as typed and readable by a client key.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from security_app import secured
from security_upstream import point_ollama_at, upstream

from symphony.clock import FixedClock
from symphony.settings import Settings

IBAN = "DE89 3704 0044 0532 0130 00"
STRIPE = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXyZ"
PHONE = "(303) 555-0142"
EMAIL = "jane.roe@example.org"
CARD = "4111 1111 1111 1111"
LEAKS = (IBAN, "3704 0044 0532", STRIPE, PHONE, EMAIL, CARD)
PROMPT = f"refund {IBAN} with {STRIPE}, call {PHONE}"


def body(max_attempts: int) -> dict[str, object]:
    return {
        "task": "qa", "input": PROMPT, "loa": 1,
        "overrides": {"provider_hints": ["local"]},
        "controls": {"retry": {"max_attempts": max_attempts, "backoff_s": 0}},
    }  # fmt: skip


def assert_clean(text: str, where: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked through {where}"


async def test_upstream_error_text_is_redacted_in_attempts_logs_and_502(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    async with upstream() as up:
        point_ollama_at(policy_dir, up.base_url)
        up.script.extend(["echo503", "ok"])
        async with secured(settings, clock) as app:
            r = await app.call("POST", "/route/execute", "client", json=body(2))
            assert r.status_code == 200, r.text
            assert PROMPT in up.seen[0]["body"]["messages"][-1]["content"]  # it was echoed
            result = r.json()
            reason = result["audit"]["attempts"][0]["reason"]
            assert "[REDACTED:iban]" in reason
            assert "[REDACTED:secret]" in reason
            assert "[REDACTED:phone]" in reason
            assert_clean(r.text, "the result")

            up.script.extend(["echo503", "echo503"])
            r = await app.call("POST", "/route/execute", "client", json=body(2))
            assert r.status_code == 502, r.text
            assert_clean(r.text, "the 502")
            records = await app.state.audit.query(limit=100)
            assert_clean(orjson.dumps([rec.to_dict() for rec in records]).decode(), "audit")
            assert_clean(b"\n".join(e.json() for e in app.state.bus.buffer).decode(), "events")


RESETS = "2030-01-01T00:00:00Z"  # observe needs the instant `remaining` resets


async def test_an_operators_window_note_is_redacted_before_it_is_kept(
    settings: Settings, clock: FixedClock
) -> None:
    note = f"per {EMAIL} ({PHONE}), card {CARD} was charged"
    async with secured(settings, clock) as app:
        r = await app.call(
            "POST",
            "/windows/local/ollama/observe",
            "operator",
            json={"remaining": 3, "resets_at": RESETS, "note": note},
        )
        assert r.status_code == 200, r.text
        assert_clean(r.text, "the observe answer")
        assert "[REDACTED:email]" in r.text
        row = await app.call("GET", "/models/local/ollama", "client")
        assert row.status_code == 200
        assert_clean(row.text, "the Model Matrix")
        records = await app.state.audit.query(type="window.observe")
        assert_clean(orjson.dumps([rec.to_dict() for rec in records]).decode(), "audit")
        kill = {"scope": "model", "target": "local/ollama", "reason": f"asked by {EMAIL}"}
        r = await app.call("POST", "/control/kill", "operator", json=kill)
        assert r.status_code == 200
        assert_clean(r.text, "the kill answer")
        plan = await app.call("POST", "/route/plan", "client", json={"task": "qa", "loa": 1})
        assert_clean(plan.text, "a plan's deny reasons")
        assert "[REDACTED:email]" in plan.text
