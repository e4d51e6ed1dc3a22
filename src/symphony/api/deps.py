"""Typed dependencies: routes receive the AppState through `StateDep`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from symphony.api.state import AppState


def state_of(request: Request) -> AppState:
    """The AppState, read directly: hot-path routes use this instead of `StateDep`
    (FastAPI's dependency resolution costs ~100 µs a request; these routes take only
    `Request` plus their body)."""
    state: AppState = request.app.state.symphony
    return state


async def get_state(request: Request) -> AppState:
    # async: a sync dependency would make FastAPI hop to its threadpool on every request.
    return state_of(request)


StateDep = Annotated[AppState, Depends(get_state)]
