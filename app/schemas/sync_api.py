"""Schemas of the device and sync endpoints (changes themselves are checked by sync/)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class DeviceCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    origin_id = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"),
    )
    public_key = fields.String(required=True, validate=validate.Length(min=1, max=8000))


class DeviceSchema(Schema):
    id = fields.String()
    user_id = fields.String()
    name = fields.String()
    origin_id = fields.String()
    created_at = fields.DateTime()
    revoked = fields.Boolean()
    revoked_at = fields.DateTime(allow_none=True)
    last_seen_at = fields.DateTime(allow_none=True)
    reported_seq = fields.Integer()
    app_version = fields.String()


class DeviceCreatedSchema(Schema):
    device = fields.Nested(DeviceSchema)
    token = fields.String(metadata={"description": "shown once; send as Bearer to /sync"})


class DeviceListSchema(Schema):
    devices = fields.List(fields.Nested(DeviceSchema))


class HandshakeSchema(Schema):
    origin_id = fields.String(required=True)
    schema_version = fields.Integer(load_default=1)
    app_version = fields.String(load_default="", validate=validate.Length(max=40))
    clock = fields.Integer(load_default=0)
    have = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    own_seq = fields.Integer(load_default=0)
    access_epoch = fields.String(load_default=None, allow_none=True)
    # Hub to hub only (docs/hubs.md): a nonce the answer signs, the caller's public
    # keys, and the caller's own sharing rule (team names for teams it may send).
    challenge = fields.String(load_default=None, allow_none=True)
    hub_keys = fields.Dict(keys=fields.String(), values=fields.String(), load_default=None)
    rule = fields.Dict(load_default=None)


class PullArgs(Schema):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))
    ack = fields.Integer(  # optional, no default: absent means "progress = since"
        validate=validate.Range(min=0),
        metadata={
            "description": "The highest hub_seq the caller has durably stored (at most "
            "`since`). The hub records it as the caller's pull progress; without it the "
            "progress is `since`. Lets a client ask for the next page before storing this one."
        },
    )

    @validates_schema
    def _ack_not_past_since(self, data: dict[str, Any], **_kw: Any) -> None:
        # A caller asking for what follows `since` cannot have stored anything past it: a
        # larger ack is a client bug, and recording it would overstate its progress.
        ack = data.get("ack")
        if ack is not None and ack > data.get("since", 0):
            raise ValidationError("Must not be greater than since.", field_name="ack")


class MissingSchema(Schema):
    have = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    digest = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))
