"""Typed dependencies: routes receive the AppState through `StateDep`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from symphony.api.state import AppState


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.symphony
    return state


StateDep = Annotated[AppState, Depends(get_state)]
