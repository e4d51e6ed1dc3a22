"""A configured provider key value never leaves through events, audit, result logs or logs."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest
from security_app import secured
from security_upstream import point_ollama_at, upstream

from symphony.clock import FixedClock
from symphony.settings import Settings

# Shaped like no known token format: only the configured-values rule can catch it.
PROVIDER_KEY = "tangerine-velvet-9431-orchid-lattice"
EMAIL = "alice.smith@example.com"


async def test_provider_key_in_an_execute_input_never_leaks(
    settings: Settings, clock: FixedClock, policy_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with upstream() as up:
        point_ollama_at(policy_dir, up.base_url)
        up.script.extend(["echo503", "ok"])  # the first attempt's error echoes the prompt
        environ = {"DEEPSEEK_API_KEY": PROVIDER_KEY}
        async with secured(settings, clock, environ=environ) as app:
            body = {
                "task": "qa", "input": f"my key is {PROVIDER_KEY}, mail {EMAIL}", "loa": 1,
                "overrides": {"provider_hints": ["local"]},
                "controls": {"retry": {"max_attempts": 2, "backoff_s": 0}},
            }  # fmt: skip
            r = await app.call("POST", "/route/execute", "client", json=body)
            assert r.status_code == 200, r.text
            result = r.json()
            # The upstream did echo it: the attempt reason carried it into the process.
            assert PROVIDER_KEY in up.seen[0]["body"]["messages"][-1]["content"]
            logs = "\n".join(result["logs"])
            assert "attempt 1: local/ollama error" in logs
            assert "[REDACTED:secret]" in logs
            assert PROVIDER_KEY not in logs
            assert EMAIL not in logs

            # Anything published on the bus is scrubbed too (what /events streams).
            app.state.bus.publish("error", {"route": "/x", "message": f"echo {PROVIDER_KEY}"})
            logging.getLogger("symphony.test").warning(
                "upstream said %s to %s", PROVIDER_KEY, EMAIL
            )

            events = b"\n".join(e.json() for e in app.state.bus.buffer)
            records = await app.state.audit.query(limit=1000)
            audit_text = orjson.dumps([rec.to_dict() for rec in records]).decode()
            execute = next(rec for rec in records if rec.type == "route.execute")
            assert "[REDACTED:secret]" in orjson.dumps(execute.payload["attempts"]).decode()
        for where, text in (
            ("events", events.decode()),
            ("audit", audit_text),
            ("logs", caplog.text),
        ):
            assert PROVIDER_KEY not in text, where
            assert EMAIL not in text, where
        assert "upstream said [REDACTED:secret] to [REDACTED:email]" in caplog.text


async def test_oversize_log_lines_are_truncated(
    settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with secured(settings, clock):
        logging.getLogger("symphony.test").info("x" * 100_000)
    (record,) = [r for r in caplog.records if r.name == "symphony.test"]
    assert len(record.getMessage()) <= 4096
    assert "truncated" in record.getMessage()


async def test_api_key_secrets_never_reach_the_audit_or_events(
    settings: Settings, clock: FixedClock
) -> None:
    async with secured(settings, clock) as app:
        secret = app.secrets["client"]
        await app.call("POST", "/route/plan", "client", json={"task": "qa", "input": secret})
        app.state.bus.publish("error", {"message": f"Authorization: Bearer {secret}"})
        events = b"\n".join(e.json() for e in app.state.bus.buffer).decode()
        assert secret not in events
        records = await app.state.audit.query(limit=1000)
        assert secret not in orjson.dumps([r.to_dict() for r in records]).decode()
