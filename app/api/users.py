"""User accounts, for admins: create, change roles, reset passwords, disable.

One-time passwords appear in exactly one answer (create or reset) and nowhere else:
the server keeps only their argon2 hash, and the user must replace them at first login.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.models import User
from app.schemas.accounts import (
    OneTimePasswordSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from app.security.permissions import permission, require_user
from app.services import accounts

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts")


@blp.route("")
class UsersView(MethodView):
    @permission("admin")
    @blp.response(200, UserSchema(many=True))
    def get(self) -> list[User]:
        """Every account, by username."""
        return accounts.all_users()

    @permission("admin")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserCreatedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an account; the answer holds its one-time password, shown only here."""
        user, password = accounts.create_user(require_user(), **data)
        return {"user": user, "one_time_password": password}


@blp.route("/<string:user_id>")
class UserView(MethodView):
    @permission("admin")
    @blp.response(200, UserSchema)
    def get(self, user_id: str) -> User:
        """One account."""
        return accounts.user_by_id(user_id)

    @permission("admin")
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data: dict[str, Any], user_id: str) -> User:
        """Change display name, admin flag, or team roles (`memberships` replaces all)."""
        return accounts.update_user(require_user(), accounts.user_by_id(user_id), data)


@blp.route("/<string:user_id>/reset-password")
class ResetPasswordView(MethodView):
    @permission("admin")
    @blp.response(200, OneTimePasswordSchema)
    def post(self, user_id: str) -> dict[str, str]:
        """Give the user a new one-time password (shown once); their sessions end."""
        password = accounts.reset_password(require_user(), accounts.user_by_id(user_id))
        return {"one_time_password": password}


@blp.route("/<string:user_id>/disable")
class DisableView(MethodView):
    @permission("admin")
    @blp.response(200, UserSchema)
    def post(self, user_id: str) -> User:
        """Disable the account: no more logins, and every session ends at once."""
        return accounts.set_disabled(require_user(), accounts.user_by_id(user_id), True)


@blp.route("/<string:user_id>/enable")
class EnableView(MethodView):
    @permission("admin")
    @blp.response(200, UserSchema)
    def post(self, user_id: str) -> User:
        """Let a disabled account log in again."""
        return accounts.set_disabled(require_user(), accounts.user_by_id(user_id), False)
