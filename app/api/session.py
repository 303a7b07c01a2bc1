"""Log in, who am I, log out, change my password."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from app.schemas.accounts import LoginSchema, PasswordChangeSchema, SessionSchema
from app.security.permissions import permission, require_principal
from app.services import auth

blp = Blueprint("session", __name__, url_prefix="/api/v1/session", description="Sessions")


def _session_body(user: Any, row: Any) -> dict[str, Any]:
    return SessionSchema().dump(
        {"user": user, "csrf_token": row.csrf_token, "expires_at": row.expires_at}
    )


@blp.route("")
class SessionView(MethodView):
    @permission("public")
    @blp.arguments(LoginSchema)
    @blp.response(200, SessionSchema)
    def post(self, data: dict[str, str]) -> Response:
        """Log in with username and password; sets the session cookie."""
        new = auth.login(data["username"], data["password"])
        response = jsonify(_session_body(new.user, new.row))
        cfg = current_app.config
        response.set_cookie(
            cfg["SESSION_COOKIE_NAME"],
            new.token,
            max_age=cfg["SESSION_LIFETIME_HOURS"] * 3600,
            httponly=True,
            samesite="Strict",
            secure=cfg["SESSION_COOKIE_SECURE"],
            path="/",
        )
        return response

    @permission("authenticated", before_password_change=True)
    @blp.response(200, SessionSchema)
    def get(self) -> dict[str, Any]:
        """Who am I: the user, their team roles, and the CSRF token for writes."""
        principal = require_principal()
        if principal.session is None:
            return {"user": principal.user, "csrf_token": "", "expires_at": None}
        s = principal.session
        return {"user": principal.user, "csrf_token": s.csrf_token, "expires_at": s.expires_at}

    @permission("authenticated", before_password_change=True)
    @blp.response(204)
    def delete(self) -> Response:
        """Log out: this session ends on the server, and the cookie is cleared."""
        principal = require_principal()
        if principal.session is not None and principal.user is not None:
            auth.logout(principal.session, principal.user)
        response = Response(status=204)
        response.delete_cookie(current_app.config["SESSION_COOKIE_NAME"], path="/")
        return response


@blp.route("/password")
class PasswordView(MethodView):
    @permission("authenticated", before_password_change=True)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, data: dict[str, str]) -> None:
        """Change my own password; my other sessions end."""
        principal = require_principal()
        assert principal.user is not None
        auth.change_own_password(
            principal.user, principal.session, data["current_password"], data["new_password"]
        )
