"""A cap is a cap under concurrency: admission reserves before the call, settles after.

Issue 11 item 1: a model capped at 50 requests admitted 200 of 1,000 requests sent at 200
concurrency, because the cap was checked at planning and usage recorded only after the
upstream answered. These tests send many more requests than the cap at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_support import DEMO_POLICY, Demo, demo_settings, running_demo

MODEL = "openai/chatgpt-plus"
CAP = 50
OLD_QUOTA = "quota: { type: rolling, window: 3h, anchor: sliding, unit: messages, cap: 40 }"
NEW_QUOTA = f"quota: {{ type: rolling, window: 1h, anchor: sliding, unit: requests, cap: {CAP} }}"


def capped_policy(tmp: Path) -> None:
    """The demo policy with MODEL capped at CAP requests an hour."""
    tmp.mkdir(parents=True, exist_ok=True)
    text = DEMO_POLICY.read_text()
    assert OLD_QUOTA in text
    (tmp / "demo.policy.yml").write_text(text.replace(OLD_QUOTA, NEW_QUOTA))


def chat(i: int) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": f"question {i}"}]}


async def flood(client: httpx.AsyncClient, total: int, concurrency: int) -> Counter[int]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> int:
        async with gate:
            response = await client.post("/v1/chat/completions", json=chat(i))
            return response.status_code

    return Counter(await asyncio.gather(*(one(i) for i in range(total))))


@pytest.mark.parametrize(("concurrency", "total"), [(16, 120), (200, 400), (1000, 1000)])
async def test_a_cap_of_50_admits_exactly_50_at_any_concurrency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, concurrency: int, total: int
) -> None:
    monkeypatch.delenv("SIM_FAST")  # the simulator's own latency: calls overlap
    capped_policy(tmp_path)
    async with running_demo(demo_settings(tmp_path)) as demo:
        statuses = await flood(demo.client, total, concurrency)
        assert statuses[200] == CAP, statuses
        assert statuses[200] + statuses[409] == total, statuses
        # The upstream saw exactly the admitted calls; the window counts them, none held.
        assert (await demo.sim_model(MODEL))["requests"] == CAP
        window = await demo.window(MODEL)
        assert (window["used"], window["remaining"], window["reserved"]) == (CAP, 0, 0)
        assert demo.state.windows.book.live == 0


async def test_calls_in_flight_show_as_reserved_and_a_full_window_is_refused_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capped_policy(tmp_path)
    async with running_demo(demo_settings(tmp_path)) as demo:
        await fill_but_two(demo)
        # Two slow calls hold the last two units while they run.
        await demo.fault(MODEL, "timeout", count=2, delay_s=0.6)
        slow = [asyncio.create_task(demo.client.post("/v1/chat/completions", json=chat(i)))
                for i in range(2)]  # fmt: skip

        async def both_reserved() -> bool:
            return (await demo.window(MODEL))["reserved"] == 2

        from app_support import poll_until

        await poll_until(both_reserved, "two calls to hold their units")
        window = await demo.window(MODEL)
        assert (window["used"], window["remaining"]) == (CAP - 2, 2)
        plan = (await demo.client.post("/route/plan", json=QA)).json()
        mine = {c["model"]: c for c in plan["candidates"]}[MODEL]
        assert mine["window"]["reserved"] == 2
        assert mine["denied"]
        [reason] = [d["detail"] for d in mine["deny_reasons"] if d["code"] == "quota_exhausted"]
        assert "window full" in reason
        assert "48 used + 2 reserved" in reason

        third = await demo.client.post("/v1/chat/completions", json=chat(99))
        assert third.status_code == 409, third.text
        assert "window full" in third.text

        assert [r.status_code for r in await asyncio.gather(*slow)] == [200, 200]
        window = await demo.window(MODEL)
        assert (window["used"], window["reserved"]) == (CAP, 0)


async def test_a_failed_call_gives_its_units_back(tmp_path: Path) -> None:
    capped_policy(tmp_path)
    async with running_demo(demo_settings(tmp_path)) as demo:
        await demo.fault(MODEL, "error_500", count=5)
        response = await demo.client.post(
            "/route/execute",
            json={**QA, "controls": {"retry": {"max_attempts": 1, "backoff_s": 0}}},
        )
        assert response.status_code == 200, response.text
        window = await demo.window(MODEL)
        # The 500 used nothing: released, not charged; nothing held afterwards.
        assert (window["used"], window["reserved"]) == (0, 0)
        assert demo.state.windows.book.live == 0


QA = {"task": "qa", "input": "explain the quarterly numbers", "loa": 1}


async def fill_but_two(demo: Demo) -> None:
    for status in (await flood(demo.client, CAP - 2, 8)).elements():
        assert status == 200
