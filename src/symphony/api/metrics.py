"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from symphony.api.deps import ServicesDep

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
async def metrics(services: ServicesDep) -> Response:
    services.planning.refresh_gauges()
    services.metrics.events_dropped.set(services.bus.dropped_total)
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
