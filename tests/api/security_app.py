"""The real app with authentication ON and keys created through the KeyStore in its data dir.

Imported by tests/api/test_security_*.py (not a test module itself).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from app_support import running_app
from symphony.clock import FixedClock
from symphony.security.keys import KeyStore
from symphony.settings import Settings

# name -> (role, tenants)
KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "client": ("client", ()),
    "client-acme": ("client", ("acme",)),
    "operator": ("operator", ()),
    "approver-1": ("approver", ()),
    "approver-2": ("approver", ()),
    "admin": ("admin", ()),
}


@dataclass
class Secured:
    app: Any
    client: httpx.AsyncClient
    secrets: dict[str, str]
    key_ids: dict[str, str]

    @property
    def state(self) -> Any:
        return self.app.state.symphony

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[name]}"}

    async def call(
        self, method: str, path: str, as_: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**(self.auth(as_) if as_ else {}), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    def events(self, type_: str) -> list[dict[str, Any]]:
        return [e.data() for e in self.state.bus.buffer if e.type == type_]


def auth_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.replace(auth_enabled=True, **changes)


def create_keys(data_dir: Path, clock: FixedClock) -> tuple[dict[str, str], dict[str, str]]:
    """Create every key in KEYS (once per data dir: pass the result to `secured` on restart)."""
    store = KeyStore.open(data_dir, clock)
    try:
        secrets: dict[str, str] = {}
        ids: dict[str, str] = {}
        for name, (role, tenants) in KEYS.items():
            key, secret = store.create(name=name, role=role, tenants=tenants)
            secrets[name], ids[name] = secret, key.id
        return secrets, ids
    finally:
        store.close()


@asynccontextmanager
async def secured(
    settings: Settings,
    clock: FixedClock,
    *,
    environ: dict[str, str] | None = None,
    secrets: tuple[dict[str, str], dict[str, str]] | None = None,
    prepare: Callable[[Any], None] | None = None,
    **changes: Any,
) -> AsyncIterator[Secured]:
    """Start the app (lifespan included) with auth on; keys exist before it starts."""
    settings = auth_settings(settings, **changes)
    made = secrets or create_keys(settings.data_dir, clock)
    async with running_app(settings, clock=clock, environ=environ, prepare=prepare) as (app, c):
        yield Secured(app, c, made[0], made[1])


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def add_tenant_acme(policy_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["tenants"]["acme"] = {"loa_max": 2}

    edit_yaml(policy_dir / "router.policy.yml", change)


def model_entry(doc: dict[str, Any], name: str) -> dict[str, Any]:
    for model in doc["policy"]["models"]:
        if model["name"] == name:
            return model  # type: ignore[no-any-return]
    raise KeyError(name)
