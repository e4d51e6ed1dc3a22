"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import PlainTextResponse, Response

from symphony.api.deps import ServicesDep

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The Prometheus text exposition format",
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": "symphony_route_plan_latency_seconds_count 42.0\n",
                }
            },
        }
    },
)
async def metrics(services: ServicesDep) -> Response:
    services.planning.refresh_gauges()
    services.metrics.events_dropped.set(services.bus.dropped_total)
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
