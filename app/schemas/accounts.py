"""Schemas for sessions, users and teams."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models.accounts import ROLES


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
    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=80),
            validate.Regexp(r"^[A-Za-z0-9_.@-]+$", error="Use letters, digits and . _ @ - only."),
        ],
    )
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
