"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from symphony.api.deps import StateDep

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    responses={
        200: {
            "content": {
                "text/plain": {"example": "symphony_route_plan_latency_seconds_count 42.0\n"}
            }
        }
    },
)
async def metrics(state: StateDep) -> Response:
    state.planning.refresh_gauges()
    state.metrics.events_dropped.set(state.bus.dropped_total)
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
