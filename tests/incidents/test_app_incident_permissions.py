"""Who may read and change incidents: clients read, operators file, resolve and receive
Alertmanager's webhook (its key as a bearer token); no key is a 401."""

from __future__ import annotations

from pathlib import Path

from incident_app import incident_app
from incident_harness import FIXTURES

from app_support import demo_settings
from symphony.clock import FixedClock
from symphony.security.keys import KeyStore


def make_keys(data_dir: Path, clock: FixedClock) -> dict[str, dict[str, str]]:
    store = KeyStore.open(data_dir, clock)
    try:
        return {
            role: {"Authorization": f"Bearer {store.create(name=role, role=role)[1]}"}
            for role in ("client", "operator")
        }
    finally:
        store.close()


async def test_clients_read_operators_change(tmp_path: Path, clock: FixedClock) -> None:
    settings = demo_settings(tmp_path).replace(auth_enabled=True)
    keys = make_keys(settings.data_dir, clock)
    firing = (FIXTURES / "slo_firing.json").read_text()
    json_ct = {"content-type": "application/json"}
    async with incident_app(tmp_path, clock, settings=settings) as h:
        c = h.client
        assert (await c.get("/incidents")).status_code == 401
        assert (await c.get("/incidents", headers=keys["client"])).status_code == 200
        assert (await c.get("/slo", headers=keys["client"])).status_code == 200
        body = {"title": "by a client", "severity": "p3"}
        refused = await c.post("/incidents", json=body, headers=keys["client"])
        assert refused.status_code == 403
        assert refused.json()["error"]["required_role"] == "operator"
        hook = await c.post(
            "/integrations/alertmanager", content=firing, headers={**json_ct, **keys["client"]}
        )
        assert hook.status_code == 403
        assert (await c.get("/integrations", headers=keys["client"])).status_code == 403
        hook = await c.post(
            "/integrations/alertmanager", content=firing, headers={**json_ct, **keys["operator"]}
        )
        assert hook.status_code == 200
        [opened] = hook.json()["opened"]
        path = f"/incidents/{opened}/resolve"
        assert (await c.post(path, json={}, headers=keys["client"])).status_code == 403
        done = await c.post(path, json={}, headers=keys["operator"])
        assert done.json()["status"] == "resolved"
        await h.runtime.flow.drain()
        records = await h.app.state.symphony.audit.query(type="incident.opened")
        assert [r.payload["incident_id"] for r in records] == [opened]
