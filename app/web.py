"""Serves the offline app's shell and service worker from the site root.

`/sw.js` is served with its precache list filled in: every shell file (the page, CSS,
modules, manifest, icons) and a version that is a hash of their contents, so changing
any shell file makes a new service worker version, which precaches the new shell and
drops the old cache when it activates. Test pages (`static/test/`) are not precached.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

from app.security.permissions import permission

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The part of the shell the service worker precaches, as globs under static/.
SHELL_GLOBS = ("app.css", "manifest.webmanifest", "icons/*.png", "js/**/*.js")
SHELL_PLACEHOLDER = "const SHELL = { version: 'dev', files: ['/'] };"

bp = Blueprint("web", __name__)


@bp.get("/")
@permission("public")
def index() -> Response:
    """The app shell (it logs in through the API)."""
    return _static("index.html")


def shell_manifest() -> dict[str, object]:
    """The precache list (URLs) and a version derived from the files' contents."""
    files = sorted({p for g in SHELL_GLOBS for p in STATIC_DIR.glob(g) if p.is_file()})
    digest = hashlib.sha256()
    urls = ["/"]
    digest.update((STATIC_DIR / "index.html").read_bytes())
    for path in files:
        rel = path.relative_to(STATIC_DIR).as_posix()
        urls.append(f"/static/{rel}")
        digest.update(rel.encode() + b"\0" + path.read_bytes())
    return {"version": digest.hexdigest()[:16], "files": urls}


@bp.get("/sw.js")
@permission("public")
def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole app."""
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    filled = f"const SHELL = {json.dumps(shell_manifest())};"
    if SHELL_PLACEHOLDER not in source:  # pragma: no cover - a broken edit of sw.js
        abort(500)
    response = Response(source.replace(SHELL_PLACEHOLDER, filled), mimetype="text/javascript")
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
