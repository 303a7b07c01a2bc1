"""Request guards and response headers applied to every request.

- CSRF: a state-changing request authenticated by the session cookie must carry the
  session's `X-CSRF-Token`, and an `Origin` (when the browser sends one) equal to ours.
  Bearer-token requests carry no ambient credentials and need neither.
- Content type: API bodies are JSON (415 otherwise), unless the view declares other types
  with `@accepts_body(...)` (or `EXTRA_BODY_TYPES`, endpoint -> types, in the config).
- Headers: a CSP with no inline script and no eval, no framing, nosniff, no referrer, and
  `Cache-Control: no-store` on every API answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from app.api.errors import error_response
from app.security.principal import current_principal

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"

F = TypeVar("F", bound=Callable[..., Any])


def accepts_body(*mimetypes: str) -> Callable[[F], F]:
    """Let one view take request bodies of these types besides JSON (e.g. "text/csv").

    Put it right under `@permission(...)`; the types are read back by the content-type
    guard, which runs before the view, so the view itself must still parse the body.
    """

    def decorate(view: F) -> F:
        view.body_types = frozenset(mimetypes)  # type: ignore[attr-defined]
        return view

    return decorate


def _declared_body_types() -> frozenset[str]:
    view: Any = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the method's own function carries them
        view = getattr(view_class, request.method.lower(), None)
    return getattr(view, "body_types", frozenset())


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def _origin_ok() -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        # Same-origin fetches from some browsers omit Origin; the CSRF header still holds.
        return origin is None
    ours = urlsplit(request.host_url)
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def _csrf_failure() -> Response | None:
    if request.method in SAFE_METHODS:
        return None
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    if not _origin_ok():
        return error_response(403, "This request came from another site.", "csrf_origin")
    if not request.headers.get(CSRF_HEADER):
        return error_response(
            403, f"State-changing requests need the {CSRF_HEADER} header.", "csrf_missing"
        )
    principal = current_principal()
    if principal is not None and principal.session is not None:
        expected = principal.session.csrf_token
        if not hmac.compare_digest(expected, request.headers[CSRF_HEADER]):
            return error_response(403, "The CSRF token does not match this session.", "csrf")
    return None


def _content_type_failure() -> Response | None:
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if request.content_length in (None, 0) and not request.headers.get("Transfer-Encoding"):
        return None
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype in current_app.config.get(
        "EXTRA_BODY_TYPES", {}
    ).get(request.endpoint, ()):
        return None
    if mimetype in _declared_body_types():
        return None
    return error_response(415, "Send the body as application/json.", "unsupported_media_type")


def init_app(app: Flask) -> None:
    """Register the guards and header hooks on the app."""

    @app.before_request
    def _guards() -> Response | None:
        if not request.path.startswith("/api/"):
            return None
        return _content_type_failure() or _csrf_failure()

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "no-referrer"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
        if request.path.startswith("/api/") or request.path == "/healthz":
            h["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            h["Strict-Transport-Security"] = "max-age=31536000"
        return response
