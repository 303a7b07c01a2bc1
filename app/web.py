"""Serves the offline app's shell and service worker from the site root."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

from app.security.permissions import permission

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

bp = Blueprint("web", __name__)


@bp.get("/")
@permission("public")
def index() -> Response:
    """The app shell (it logs in through the API)."""
    return _static("index.html")


@bp.get("/sw.js")
@permission("public")
def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole app."""
    response = _static("sw.js")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/static/<path:filename>")
@permission("public")
def static_file(filename: str) -> Response:
    """The app's modules, styles, icons and vendored libraries."""
    return _static(filename)


def _static(filename: str) -> Response:
    if not (STATIC_DIR / filename).is_file():
        abort(404)
    response = send_from_directory(STATIC_DIR, filename)
    if filename.endswith(".webmanifest"):
        response.mimetype = "application/manifest+json"
    response.headers.setdefault("Cache-Control", "no-cache")
    return response
