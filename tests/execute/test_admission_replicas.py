"""A cap across replicas: two services on one Redis (each with its own data directory, as
two machines would be) flooded together against a model capped at 50.

Claims on shared counters are `limit = cap, since = window start`: the Redis script counts
every replica's settled charges since then plus every live reservation (before this, each
claim was limited by its own replica's ledger and 77 to 117 of 1,000 were admitted). The
local view still wins when it knows more (usage in the ledger that Redis never saw).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_admission import CAP, MODEL, capped_policy, chat

from app_support import Demo, demo_settings, running_demo

REDIS_URL = "redis://127.0.0.1:6379/15"


async def warm(*demos: Demo) -> None:
    """Open each replica's Redis pool before the flood. A cold pool opens its connections
    in the burst itself, and on this loaded 2-core machine one event loop running two
    replicas, their simulator and 1,000 requests can starve those connects past the store
    timeout (503s, seen only when refusals come fast, without a round trip each)."""
    for demo in demos:
        counters = demo.state.windows.book.counters
        await asyncio.gather(*(counters.levels({"warm-up": None}) for _ in range(64)))


async def flood(
    clients: list[httpx.AsyncClient], total: int, concurrency: int, **extra: Any
) -> list[httpx.Response]:
    """`total` chats at `concurrency`, spread over `clients`; the responses in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> httpx.Response:
        async with gate:
            body = chat(i) | extra
            return await clients[i % len(clients)].post("/v1/chat/completions", json=body)

    return list(await asyncio.gather(*(one(i) for i in range(total))))


async def test_two_replicas_on_one_redis_share_one_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIM_FAST", raising=False)  # the simulator's latency: calls overlap
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    for side in ("a", "b"):
        capped_policy(tmp_path / side)
    settings = [
        demo_settings(tmp_path / side).replace(
            redis_url=REDIS_URL, store_namespace=namespace, store_timeout_s=10
        )
        for side in ("a", "b")
    ]
    async with running_demo(settings[0]) as a, running_demo(settings[1]) as b:
        await warm(a, b)
        gate = asyncio.Semaphore(200)
        unavailable: list[str] = []

        async def one(i: int) -> int:
            async with gate:
                client = (a, b)[i % 2].client
                response = await client.post("/v1/chat/completions", json=chat(i))
                if response.status_code == 503:
                    unavailable.append(response.text[:300])
                return response.status_code

        statuses = Counter(await asyncio.gather(*(one(i) for i in range(1000))))
        print(f"\n2 replicas, cap {CAP}, 1000 requests at c=200: {dict(statuses)}")
        print("503 bodies:", set(unavailable))
        assert statuses[200] + statuses[409] == 1000, statuses
        assert statuses[200] == CAP, statuses


async def test_usage_the_ledger_knows_and_redis_does_not_still_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 calls recorded while embedded, then the same data directory on a fresh Redis: the
    local view (30 used) is stricter than the shared one (0 charged), so 20 more, not 50."""
    capped_policy(tmp_path)
    async with running_demo(demo_settings(tmp_path)) as demo:
        assert Counter(r.status_code for r in await flood([demo.client], 30, 10)) == {200: 30}
    monkeypatch.delenv("SIM_FAST", raising=False)
    shared = demo_settings(tmp_path).replace(
        redis_url=REDIS_URL, store_namespace=f"t_{uuid.uuid4().hex[:12]}", store_timeout_s=10
    )
    async with running_demo(shared) as demo:
        await warm(demo)
        responses = await flood([demo.client], 200, 100)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: CAP - 30, 409: 200 - (CAP - 30)}, statuses
        window = await demo.window(MODEL)
        assert (window["used"], window["remaining"], window["reserved"]) == (CAP, 0, 0)


async def test_a_tenant_token_budget_holds_across_two_replicas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Budget lines too: claims count every replica's settled tokens since the day began."""
    monkeypatch.delenv("SIM_FAST", raising=False)
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    for side in ("a", "b"):
        capped_policy(tmp_path / side)
        policy = tmp_path / side / "demo.policy.yml"
        text = policy.read_text()
        assert OLD_BUDGETS in text
        policy.write_text(text.replace(OLD_BUDGETS, NEW_BUDGETS))
    settings = [
        demo_settings(tmp_path / side).replace(
            redis_url=REDIS_URL, store_namespace=namespace, store_timeout_s=10
        )
        for side in ("a", "b")
    ]
    async with running_demo(settings[0]) as a, running_demo(settings[1]) as b:
        # max_tokens keeps the estimate (prompt + worst-case output) near the actual usage.
        responses = await flood([a.client, b.client], 200, 8, max_tokens=MAX_TOKENS)
    admitted = [r.json() for r in responses if r.status_code == 200]
    spent = sum(body["usage"]["total_tokens"] for body in admitted)
    print(f"\n2 replicas, daily budget {BUDGET_TOKENS} tokens: {len(admitted)} calls, {spent}")
    assert Counter(r.status_code for r in responses).keys() <= {200, 409}
    assert len(admitted) < CAP  # the budget binds before the window does
    assert BUDGET_TOKENS // 4 < spent <= BUDGET_TOKENS  # used, never passed


OLD_BUDGETS = "budgets: { daily_usd: 5.00, monthly_usd: 100.00 }"
BUDGET_TOKENS = 200
MAX_TOKENS = 20
NEW_BUDGETS = f"budgets: {{ daily_tokens: {BUDGET_TOKENS} }}"
