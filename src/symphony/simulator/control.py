"""`/_sim/*` control endpoints: inject and clear faults, read counters, reset, move time."""

from __future__ import annotations

from typing import Any, cast

import orjson
from aiohttp import web

from symphony.simulator.pipeline import STATE
from symphony.simulator.state import FAULT_KINDS, FaultKind, SimState
from symphony.simulator.wire import json_response


def _problem(status: int, message: str) -> web.Response:
    return json_response(status, {"error": {"message": message}})


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _problem(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return _problem(400, "body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str) -> float | str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return f"{key} must be a non-negative number"
    return float(value)


def _faults_body(state: SimState) -> Any:
    return {"faults": [fault.to_dict() for fault in state.faults]}


async def add_fault(request: web.Request) -> web.Response:
    """POST /_sim/faults: queue a fault for upcoming requests."""
    state = request.app[STATE]
    body = await _json_object(request)
    if isinstance(body, web.Response):
        return body
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        return _problem(400, f"kind must be one of {sorted(FAULT_KINDS)}")
    model = body.get("model")
    if model is not None and (not isinstance(model, str) or model not in state.models):
        return _problem(404, f"unknown model {model!r}; known: {sorted(state.models)}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count == 0 or count < -1:
        return _problem(400, "count must be a positive integer or -1 (until cleared)")
    retry_after = _number(body, "retry_after_s")
    delay = _number(body, "delay_s")
    for value in (retry_after, delay):
        if isinstance(value, str):
            return _problem(400, value)
    state.add_fault(
        cast(FaultKind, kind),
        model=model,
        count=count,
        retry_after_s=cast(float | None, retry_after),
        delay_s=cast(float | None, delay),
    )
    return json_response(200, _faults_body(state))


async def list_faults(request: web.Request) -> web.Response:
    """GET /_sim/faults: the queued faults."""
    return json_response(200, _faults_body(request.app[STATE]))


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /_sim/faults: drop every queued fault."""
    state = request.app[STATE]
    state.faults.clear()
    return json_response(200, _faults_body(state))


async def get_state(request: web.Request) -> web.Response:
    """GET /_sim/state: per-model counters, windows and pending faults."""
    return json_response(200, request.app[STATE].snapshot())


async def reset(request: web.Request) -> web.Response:
    """POST /_sim/reset: zero the counters and clear faults."""
    state = request.app[STATE]
    state.reset()
    return json_response(200, state.snapshot())


async def advance(request: web.Request) -> web.Response:
    """POST /_sim/advance {"seconds": n}: move the simulator's clock forward."""
    state = request.app[STATE]
    body = await _json_object(request)
    if isinstance(body, web.Response):
        return body
    seconds = _number(body, "seconds")
    if not isinstance(seconds, float):
        return _problem(400, seconds or "seconds is required")
    state.offset_s += seconds
    return json_response(200, {"now": state.now(), "offset_s": state.offset_s})


async def get_requests(request: web.Request) -> web.Response:
    """GET /_sim/requests[?model=m]: the request bodies upstream endpoints received."""
    state = request.app[STATE]
    model = request.query.get("model")
    found = [
        r
        for r in state.captured
        if model is None
        or (isinstance(r["body"], dict) and r["body"].get("model") == model)
        or r["path"].split("/")[-1].split(":")[0] == model
    ]
    return json_response(200, {"requests": found})


async def clear_requests(request: web.Request) -> web.Response:
    """DELETE /_sim/requests: forget the captured requests."""
    request.app[STATE].captured.clear()
    return json_response(200, {"requests": []})


def add_control_routes(app: web.Application) -> None:
    """Mount the `/_sim` control surface."""
    app.router.add_get("/_sim/requests", get_requests)
    app.router.add_delete("/_sim/requests", clear_requests)
    app.router.add_post("/_sim/faults", add_fault)
    app.router.add_get("/_sim/faults", list_faults)
    app.router.add_delete("/_sim/faults", clear_faults)
    app.router.add_get("/_sim/state", get_state)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_post("/_sim/advance", advance)
