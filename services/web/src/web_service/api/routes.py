"""The app shell: index.html for the app's pages, the service worker and manifest at the root."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter()
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/", include_in_schema=False)
@router.get("/auth/callback", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=NO_CACHE)


@router.get("/sw.js", include_in_schema=False)
async def service_worker() -> FileResponse:
    # At the root so that its scope is the whole app.
    return FileResponse(STATIC / "sw.js", media_type="text/javascript", headers=NO_CACHE)


@router.get("/manifest.webmanifest", include_in_schema=False)
async def manifest() -> FileResponse:
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json", headers=NO_CACHE)
