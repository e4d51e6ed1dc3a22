"""The operator console: `GET /console` and its static files (no build step, CSP 'self')."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, RedirectResponse, Response

from symphony.errors import NotFoundError

STATIC_DIR = Path(__file__).resolve().parent / "static"

# The page loads only its own files; the app's security middleware may send the same policy.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}
# Flat folder, plain names: nothing like `..` or `/` can reach past it.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(?:js|css|svg)$")
_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(tags=["console"])


def static_path(name: str) -> Path:
    """Resolve a console asset by its plain file name, or raise a 404 naming it."""
    path = STATIC_DIR / name
    if not _NAME.fullmatch(name) or not path.is_file():
        raise NotFoundError(f"no console file '{name}'")
    return path


@router.get(
    "/console",
    summary="The operator console: Model Matrix, Explain Route, live events, burndown",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The console page (static HTML; its scripts call the JSON API)",
            "content": {
                "text/html": {
                    "schema": {"type": "string"},
                    "example": '<!doctype html><html lang="en">…</html>',
                }
            },
        }
    },
)
async def console_page() -> Response:
    headers = {**_HEADERS, "Content-Security-Policy": CONSOLE_CSP, "Referrer-Policy": "no-referrer"}
    return FileResponse(STATIC_DIR / "index.html", media_type=MEDIA_TYPES[".html"], headers=headers)


@router.get("/console/", include_in_schema=False)
async def console_slash() -> Response:
    return RedirectResponse("/console", status_code=308)


@router.get("/console/static/{name}", include_in_schema=False)
async def console_static(name: str) -> Response:
    path = static_path(name)
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=dict(_HEADERS))
