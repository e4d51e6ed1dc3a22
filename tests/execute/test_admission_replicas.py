"""A cap across replicas: two services on one Redis (each with its own data directory, as
two machines would be) flooded together against a model capped at 50.

Known gap (strict xfail, so fixing it turns this red until the marker goes): admission
reserves on the shared counters, but each claim's limit is what *this replica's ledger*
says is left, so settled usage is counted per replica. Measured here: 77 to 117 of 1,000
admitted (cap 50), depending on how many calls overlap. The fix is for claims to count the
shared counters' own charges since the window's start (the settle already charges them on
Redis), which needs the window start from the window engine, or a ledger in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from test_admission import CAP, capped_policy, chat

from app_support import demo_settings, running_demo

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.mark.xfail(
    strict=True, reason="claims are limited by each replica's own ledger (docs/scaling.md)"
)
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
