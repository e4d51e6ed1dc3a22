"""The per-request path shared by every protocol: model lookup, faults, caps, latency, reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from aiohttp import web

from symphony.simulator.headers import limit_headers, retry_after_header
from symphony.simulator.state import Fault, ModelState, SimState
from symphony.simulator.text import make_completion
from symphony.simulator.wire import JSON_CT, SSE_CT, LimitInfo, Parsed, Reply, Wire, break_event

STATE: Final = web.AppKey("symphony_sim_state", SimState)
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_DRIP_S = 0.5
DEFAULT_FAULT_RETRY_S = 1.0
DRIP_SLICES = 8


def _rate_limited(
    wire: Wire, ms: ModelState, now: float, info: LimitInfo, fault: bool
) -> web.Response:
    view = ms.view(now)
    if fault:
        view = replace(view, reset_at=now + info.retry_after_s)
    headers = limit_headers(ms.spec.header_style, view, limited=True)
    if wire.retry_after_on_429:
        headers.update(retry_after_header(info.retry_after_s))
    return wire.rate_limited(ms.name, info, headers)


def _abort(request: web.Request) -> None:
    """Close the connection after flushing what was written (no terminating chunk)."""
    transport = request.transport
    if transport is not None:
        transport.close()


async def serve(
    request: web.Request,
    wire: Wire,
    parsed: Parsed,
    render: Callable[[Reply], bytes] | None = None,
) -> web.StreamResponse:
    """Answer one parsed chat request the way the simulated upstream would."""
    state = request.app[STATE]
    ms = state.models.get(parsed.model)
    if ms is None or ms.spec.protocol not in wire.serves:
        return wire.not_found(parsed.model)
    if ms.spec.kind != "chat":
        return wire.invalid(f"{parsed.model} is an embedding model: it does not chat")
    if (parsed.extras.images or parsed.extras.audio) and not ms.spec.vision:
        return wire.invalid(f"{parsed.model} does not accept image or audio input")
    ms.requests += 1
    ms.in_flight += 1  # until the handler ends: finished, failed, or cancelled by a hang-up
    try:
        return await _answer(request, wire, parsed, render, state, ms)
    except (asyncio.CancelledError, ConnectionResetError):
        ms.abandoned += 1  # the client went away before the answer was complete
        raise
    finally:
        ms.in_flight -= 1


async def _answer(
    request: web.Request,
    wire: Wire,
    parsed: Parsed,
    render: Callable[[Reply], bytes] | None,
    state: SimState,
    ms: ModelState,
) -> web.StreamResponse:
    fault = state.take_fault(parsed.model) if state.faults else None
    if fault is not None:
        ms.faulted += 1
        early = await early_fault(request, wire, ms, state, fault)
        if early is not None:
            return early
    now = state.now()
    spent = ms.admit(now)
    if spent is not None:
        spec = ms.spec
        info = LimitInfo(
            kind=spent,
            cap=spec.cap if spent == "requests" else spec.tokens_cap,
            window_s=spec.window_s,
            retry_after_s=ms.retry_after(now),
        )
        return _rate_limited(wire, ms, now, info, fault=False)

    spec = ms.spec
    reply_id = state.new_id()
    choices = tuple(
        make_completion(
            spec.reply,
            parsed.model,
            parsed.last_user,
            parsed.prompt_chars,
            parsed.max_tokens,
            parsed.extras,
            choice,
            f"call_sim{reply_id:06d}",
        )
        for choice in range(parsed.extras.n)
    )
    completion = choices[0]
    reply = Reply(
        id=f"{wire.id_prefix}{reply_id:012d}",
        model=parsed.model,
        created=int(now),
        completion=completion,
        include_usage=parsed.include_usage,
        choices=choices if len(choices) > 1 else (),
    )
    ms.account(completion.prompt_tokens, reply.completion_tokens)
    style = spec.header_style
    headers = {} if style == "none" else limit_headers(style, ms.view(now), limited=False)
    fast = state.config.fast
    ttft = 0.0 if fast else spec.ttft_ms / 1000.0
    gap = 0.0 if fast else 1.0 / spec.tokens_per_s
    kind = fault.kind if fault is not None else None
    if kind == "slow_drip":
        gap = fault.delay_s if fault is not None and fault.delay_s is not None else DEFAULT_DRIP_S

    if parsed.stream and render is None:
        return await _stream(request, headers, wire.events(reply), ttft, gap, kind)

    body = render(reply) if render is not None else wire.full(reply)
    if kind == "reset_mid_stream":
        _abort(request)
        return web.Response(status=200)
    if kind == "malformed_json":
        body = body[: len(body) // 2]
    if kind == "slow_drip":
        return await _drip(request, headers, body, ttft, gap)
    delay = ttft + reply.completion_tokens * gap
    if delay > 0:
        await asyncio.sleep(delay)
    return web.Response(body=body, content_type=JSON_CT, headers=headers)


async def early_fault(
    request: web.Request, wire: Wire, ms: ModelState, state: SimState, fault: Fault
) -> web.StreamResponse | None:
    """Faults that answer before the normal path; `timeout` delays and then lets it run."""
    kind = fault.kind
    if kind == "rate_limit":
        ms.rate_limited += 1
        retry = fault.retry_after_s if fault.retry_after_s is not None else DEFAULT_FAULT_RETRY_S
        info = LimitInfo("requests", ms.spec.cap, ms.spec.window_s, retry)
        return _rate_limited(wire, ms, state.now(), info, fault=True)
    if kind == "insufficient_quota":
        return wire.no_credit()
    if kind == "error_500":
        return wire.server_error(500)
    if kind == "error_503":
        return wire.server_error(503)
    if kind == "timeout":
        await asyncio.sleep(fault.delay_s if fault.delay_s is not None else DEFAULT_TIMEOUT_S)
    return None


async def _stream(
    request: web.Request,
    headers: dict[str, str],
    events: list[bytes],
    ttft: float,
    gap: float,
    kind: str | None,
) -> web.StreamResponse:
    resp = web.StreamResponse(status=200, headers=headers)
    resp.content_type = SSE_CT
    resp.headers["Cache-Control"] = "no-cache"
    await resp.prepare(request)
    if ttft > 0:
        await asyncio.sleep(ttft)
    if kind is None and gap <= 0:
        await resp.write(b"".join(events))
        return resp
    cut = len(events) // 2 if kind == "reset_mid_stream" else -1
    broken = len(events) // 2 if kind == "malformed_json" else -1
    for index, event in enumerate(events):
        if index == cut:
            _abort(request)
            return resp
        if index and gap > 0:
            await asyncio.sleep(gap)
        await resp.write(break_event(event) if index == broken else event)
    return resp


async def _drip(
    request: web.Request, headers: dict[str, str], body: bytes, ttft: float, gap: float
) -> web.StreamResponse:
    resp = web.StreamResponse(status=200, headers=headers)
    resp.content_type = JSON_CT
    await resp.prepare(request)
    if ttft > 0:
        await asyncio.sleep(ttft)
    step = max(1, -(-len(body) // DRIP_SLICES))
    for offset in range(0, len(body), step):
        if offset:
            await asyncio.sleep(gap)
        await resp.write(body[offset : offset + step])
    return resp
