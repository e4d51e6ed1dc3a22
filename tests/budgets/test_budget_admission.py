"""A budget line is reserved like a window: concurrent calls that each fit under a tenant's
token budget cannot together pass it (the gate reserves every line covering the model)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from app_support import demo_settings, running_demo

MODEL = "openai/chatgpt-plus"
LIMIT = 300  # a few calls: the budget, not the window (40), binds
ACME = f"""
  acme:
    loa_max: 2
    budgets:
      daily_tokens: {LIMIT}
"""


async def test_concurrent_calls_stay_inside_a_token_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIM_FAST", raising=False)  # the simulator's latency: calls overlap
    settings = demo_settings(tmp_path)
    with settings.policy_file.open("a") as f:
        f.write(ACME)
    async with running_demo(settings) as demo:
        gate = asyncio.Semaphore(100)

        async def one(i: int) -> tuple[int, str]:
            body = {
                "model": MODEL,
                "max_tokens": 30,
                "messages": [{"role": "user", "content": f"question number {i}"}],
            }
            async with gate:
                r = await demo.client.post(
                    "/v1/chat/completions", json=body, headers={"x-symphony-tenant": "acme"}
                )
            return r.status_code, r.text

        answers = await asyncio.gather(*(one(i) for i in range(300)))
        statuses = Counter(status for status, _ in answers)
        assert statuses[200] + statuses[409] == 300, statuses
        assert 0 < statuses[200] < 300, statuses
        lines = (await demo.client.get("/budgets", params={"tenant": "acme"})).json()
        (line,) = lines["tenants"][0]["lines"]
        assert line["key"] == "tenant:daily:tokens"
        assert line["spent"] <= LIMIT, line  # never past the limit, however many overlapped
        refused = next(text for status, text in answers if status == 409 and "budget" in text)
        assert "daily tokens budget of tenant 'acme'" in refused, refused
        assert demo.state.windows.book.live == 0
