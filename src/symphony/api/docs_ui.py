"""`/docs` (Swagger UI) and `/redoc` from assets shipped in a Python package, not a CDN.

The JavaScript and CSS come from the `fastapi-offline` wheel (its `static/` folder: Swagger
UI's bundle and CSS, ReDoc's standalone bundle, a favicon), served under `/docs/assets/`, so
the API docs work on a machine with no internet. The pages are FastAPI's own
(`get_swagger_ui_html`, `get_redoc_html`) with local URLs.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import FileResponse, HTMLResponse, Response

from symphony.errors import NotFoundError

ASSET_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PREFIX = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
TITLE = "Symphony"
OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} - Swagger UI",
        swagger_js_url=f"{ASSETS_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PREFIX}/favicon.png",
        oauth2_redirect_url=OAUTH2_REDIRECT,
        # No online validator badge (Swagger UI would fetch it from validator.swagger.io).
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} - ReDoc",
        redoc_js_url=f"{ASSETS_PREFIX}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_PREFIX}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSETS_PREFIX + "/{name}")
async def docs_asset(name: str) -> Response:
    media = ASSETS.get(name)  # a fixed set of names: nothing else in the folder is reachable
    if media is None:
        raise NotFoundError(f"no docs asset '{name}' (known: {', '.join(sorted(ASSETS))})")
    return FileResponse(
        ASSET_DIR / name, media_type=media, headers={"Cache-Control": "public, max-age=86400"}
    )
