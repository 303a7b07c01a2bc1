"""Schemas of the records endpoints' envelopes (the record fields are validated per kind
by `app.schemas.records`, since which fields apply depends on the kind)."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from app.schemas.records import RECORD_KINDS


class RecordBodySchema(Schema):
    """A record body: `kind` (on create), optional `id` and `team_id`, then its fields."""

    class Meta:
        unknown = INCLUDE

    kind = fields.String(validate=validate.OneOf(RECORD_KINDS))


class CandidateSchema(Schema):
    op_id = fields.String()
    value = fields.Raw(allow_none=True)
    hlc = fields.String()
    origin_id = fields.String()
    author = fields.String()


class RecordSchema(Schema):
    """A record as the API shows it: its values and what sync knows about it."""

    id = fields.String()
    kind = fields.String()
    team_id = fields.String()
    values = fields.Dict()
    conflicts = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(CandidateSchema))
    )
    deleted = fields.Boolean()
    delete_conflict = fields.Boolean()
    needs_review = fields.Boolean()
    merged_into = fields.String(allow_none=True)
    purged = fields.Boolean()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    updated_seq = fields.Integer()
    etag = fields.String()


class RecordPageSchema(Schema):
    """One page of records, newest change first."""

    records = fields.List(fields.Nested(RecordSchema))
    total = fields.Integer(
        metadata={"description": "How many records match, counted up to 1,000; see total_exact."}
    )
    total_exact = fields.Boolean(
        metadata={"description": "False when more than `total` (1,000) records match."}
    )
    has_more = fields.Boolean(metadata={"description": "Whether a next page exists."})
    next_after = fields.String(
        allow_none=True,
        metadata={"description": "Pass as `after` for the next page (null on the last)."},
    )
    page = fields.Integer()
    per_page = fields.Integer()


class RecordListArgs(Schema):
    """Filters of the record list (all optional; each narrows the result)."""

    kind = fields.String(validate=validate.OneOf(RECORD_KINDS))
    team_id = fields.String()
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "name search"})
    date_from = fields.Date(
        metadata={"description": "occurred on or after (partial dates overlap)"}
    )
    date_to = fields.Date()
    place = fields.String(metadata={"description": "a place id: records there or anywhere below"})
    verification_status = fields.String()
    outcome = fields.String()
    cause = fields.String()
    sex = fields.String()
    age_group = fields.String()
    civilian_status = fields.String()
    fate_status = fields.String()
    disappearance_type = fields.String()
    priority = fields.String()
    status = fields.String()
    sensitivity = fields.String()
    incident_id = fields.String()
    assigned_to = fields.String(metadata={"description": "a user id, or 'me'"})
    has_conflicts = fields.Boolean()
    needs_review = fields.Boolean()
    include_deleted = fields.Boolean(load_default=False)
    updated_since = fields.Integer(metadata={"description": "hub_seq: records changed after it"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    after = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": "Keyset cursor: the `next_after` of the previous page "
            "(faster than `page` deep into a long list; `page` is then ignored)."
        },
    )


class ResolveSchema(Schema):
    """The chosen value per conflicted field (`@deleted`: false undeletes, true deletes)."""

    fields_ = fields.Dict(data_key="fields", required=True, keys=fields.String())


class PurgeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class HistoryFieldSchema(Schema):
    field = fields.String()
    from_ = fields.Raw(attribute="from", data_key="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class HistoryEntrySchema(Schema):
    op_id = fields.String()
    hub_seq = fields.Integer()
    action = fields.String()
    author = fields.String()
    author_name = fields.String()
    origin_id = fields.String()
    via = fields.String()
    hlc = fields.String()
    device_time = fields.Integer()
    received_at = fields.String()
    purged = fields.Boolean()
    fields_ = fields.List(fields.Nested(HistoryFieldSchema), attribute="fields", data_key="fields")


class HistorySchema(Schema):
    record_id = fields.String()
    changes = fields.List(fields.Nested(HistoryEntrySchema))
