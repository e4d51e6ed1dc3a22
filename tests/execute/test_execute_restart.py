"""Usage is durable: a restarted app on the same data dir shows the same windows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import DemoFactory


def used(models: dict[str, Any]) -> dict[str, Any]:
    return {m["model"]: m["window"]["used"] for m in models["items"]}


def counts(burndown: dict[str, Any]) -> dict[str, Any]:
    return {
        span: {name: (row["requests"], row["tokens"]) for name, row in rows.items()}
        for span, rows in burndown["windows"].items()
    }


async def test_usage_survives_a_restart(demo_factory: DemoFactory) -> None:
    async with demo_factory() as demo:
        for text in ("first question", "second question", "third question"):
            await demo.execute({"task": "qa", "input": text, "loa": 1})
        await demo.execute(
            {
                "task": "chat",
                "input": "hello",
                "loa": 1,
                "overrides": {"provider_hints": ["litellm"]},
            }
        )
        before_models = (await demo.client.get("/models")).json()
        before_burndown = (await demo.client.get("/status/burndown.json")).json()

    assert used(before_models)["openai/chatgpt-plus"] == 3
    assert counts(before_burndown)["h1"]["litellm/proxy"][0] == 1

    async with demo_factory() as demo:
        after_models = (await demo.client.get("/models")).json()
        after_burndown = (await demo.client.get("/status/burndown.json")).json()
        # The new app keeps counting on top of the restored ledger.
        await demo.execute({"task": "qa", "input": "fourth question", "loa": 1})
        assert (await demo.window("openai/chatgpt-plus"))["used"] == 4

    assert used(after_models) == used(before_models)
    assert counts(after_burndown) == counts(before_burndown)
