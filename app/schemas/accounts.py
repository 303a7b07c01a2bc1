"""Schemas for sessions, users and teams."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.models.accounts import ROLES

USERNAME_RULES = [
    validate.Length(min=2, max=80),
    validate.Regexp(r"^[A-Za-z0-9_.@-]+$", error="Use letters, digits and . _ @ - only."),
]

# Audit details never carry secrets (services do not put them there); this is the second
# lock, in case a future event does by mistake.
SECRET_WORDS = ("password", "token", "hash", "secret")


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True)


class MembershipSchema(Schema):
    team_id = fields.String(required=True)
    team_name = fields.Function(lambda m: m.team.name, dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class UserSchema(Schema):
    id = fields.String(dump_only=True)
    username = fields.String(required=True, validate=USERNAME_RULES)
    display_name = fields.String(validate=validate.Length(max=200))
    is_admin = fields.Boolean()
    disabled = fields.Boolean(dump_only=True)
    must_change_password = fields.Boolean(dump_only=True)
    memberships = fields.List(fields.Nested(MembershipSchema))
    created_at = fields.DateTime(dump_only=True)


class SessionSchema(Schema):
    user = fields.Nested(UserSchema)
    csrf_token = fields.String()
    expires_at = fields.DateTime()


# --- users (admin) ----------------------------------------------------------------------


class MembershipInSchema(Schema):
    """One team role as an admin sets it: `{team_id, role}`."""

    team_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME_RULES)
    display_name = fields.String(load_default="", validate=validate.Length(max=200))
    is_admin = fields.Boolean(load_default=False)
    memberships = fields.List(fields.Nested(MembershipInSchema), load_default=list)


class UserUpdateSchema(Schema):
    """Only the fields sent change; `memberships` replaces the whole list."""

    display_name = fields.String(validate=validate.Length(max=200))
    is_admin = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipInSchema))


class UserCreatedSchema(Schema):
    user = fields.Nested(UserSchema)
    # Shown once, in this answer only: the server keeps nothing but its hash.
    one_time_password = fields.String()


class OneTimePasswordSchema(Schema):
    one_time_password = fields.String()


# --- teams ------------------------------------------------------------------------------


class TeamSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    created_at = fields.DateTime(dump_only=True)


class TeamMemberSchema(Schema):
    """A member as a coordinator sees them, to assign records to."""

    user_id = fields.String(attribute="user.id")
    username = fields.String(attribute="user.username")
    display_name = fields.String(attribute="user.display_name")
    disabled = fields.Boolean(attribute="user.disabled")
    role = fields.String()


# --- audit ------------------------------------------------------------------------------


class AuditQuerySchema(Schema):
    action = fields.String(validate=validate.Length(min=1, max=60))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    team_id = fields.String(allow_none=True)
    address = fields.String()
    details = fields.Method("_safe_details")

    def _safe_details(self, event: Any) -> dict[str, Any]:
        return {
            key: value
            for key, value in (event.details or {}).items()
            if not any(word in key.lower() for word in SECRET_WORDS)
        }


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
