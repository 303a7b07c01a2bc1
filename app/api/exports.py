"""Exports for coordinators and partners' scripts, partner tokens, and the export log.

`GET /api/v1/exports` is for a coordinator of the team (any profile);
`GET /api/v1/partner/export` is for a partner token (its own team, profile and filters,
which the request may only narrow). Both stream: the body is written as it is read.

UI note (for the UI issue): an "Export" button needs only `GET /api/v1/exports` with the
query of the records list (kind, date_from, date_to, place, verification) plus `format`
and `profile`; the browser downloads the streamed attachment.
"""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.errors import ApiError
from app.exports.formats import FORMATS
from app.exports.profiles import PROFILES
from app.exports.service import Actor, Export, ExportRequest, prepare
from app.exports.service import validate as validate_export
from app.extensions import db
from app.models import ExportLog, Place
from app.schemas.records.kinds import RECORD_KINDS
from app.security.permissions import permission, require_principal, require_user
from app.services import partner_tokens
from app.vocabularies import codes

blp = Blueprint("exports", __name__, url_prefix="/api/v1", description="Exports")

_VERIFICATION = codes("verification_status")


class _FilterArgs(Schema):
    kind = fields.List(fields.String(validate=validate.OneOf(RECORD_KINDS)))
    date_from = fields.Date(
        metadata={"description": "occurred on or after (partial dates overlap)"}
    )
    date_to = fields.Date()
    place = fields.String(metadata={"description": "a place id or P-code: there or anywhere below"})
    verification = fields.List(fields.String(validate=validate.OneOf(_VERIFICATION)))
    since = fields.String(
        metadata={
            "description": "incremental: the `next_since` of the previous export (exact), "
            "or an ISO date/date-time; withdrawn records are listed"
        }
    )
    geo_level = fields.String(
        load_default="district", validate=validate.OneOf(("district", "governorate"))
    )
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))


class ExportArgs(_FilterArgs):
    """A coordinator's export of one of their teams."""

    team_id = fields.String()
    profile = fields.String(load_default="internal", validate=validate.OneOf(PROFILES))
    recipient = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "who receives it (required outside internal: ids are scoped)"},
    )
    check = fields.Boolean(
        load_default=False,
        metadata={
            "description": "only check the request: 204 when the export would start, the "
            "same 4xx error otherwise; nothing is exported or logged (the screen asks "
            "before its download link saves anything to disk)"
        },
    )


class PartnerExportArgs(_FilterArgs):
    """A partner's pull: the token fixes team, profile and recipient."""


class TokenCreateSchema(Schema):
    team_id = fields.String()
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=200))
    profile = fields.String(required=True, validate=validate.OneOf(partner_tokens.TOKEN_PROFILES))
    kinds = fields.List(fields.String(validate=validate.OneOf(RECORD_KINDS)))
    place = fields.String()
    verification = fields.List(fields.String(validate=validate.OneOf(_VERIFICATION)))
    date_from = fields.Date()
    date_to = fields.Date()
    expires_at = fields.AwareDateTime(metadata={"description": "UTC; at most a year ahead"})


class TokenSchema(Schema):
    id = fields.String()
    team_id = fields.String()
    recipient = fields.String()
    profile = fields.String()
    filters = fields.Dict()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class TokenCreatedSchema(Schema):
    partner_token = fields.Nested(TokenSchema)
    token = fields.String(metadata={"description": "shown once"})


class TokenListSchema(Schema):
    partner_tokens = fields.List(fields.Nested(TokenSchema))


class ExportLogEntrySchema(Schema):
    id = fields.String()
    team_id = fields.String()
    actor_name = fields.String()
    via = fields.String()
    partner_token_id = fields.String(allow_none=True)
    profile = fields.String()
    format = fields.String()
    filters = fields.Dict()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    status = fields.String()
    record_count = fields.Integer()
    withdrawn_count = fields.Integer()


class ExportLogSchema(Schema):
    exports = fields.List(fields.Nested(ExportLogEntrySchema))


def _streamed(export: Export) -> Response:
    response = Response(stream_with_context(export.body), content_type=export.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers.update(export.headers)
    return response


def _request(
    args: dict[str, Any], team_id: str, profile: str, recipient: str | None
) -> ExportRequest:
    return ExportRequest(
        team_id=team_id,
        profile=profile,
        format=args["format"],
        kinds=tuple(args.get("kind") or ()),
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
        place=args.get("place"),
        verification=tuple(args.get("verification") or ()),
        since=args.get("since"),
        recipient=recipient,
        geo_level=args["geo_level"],
    )


def _coordinated_team(team_id: str | None) -> str:
    teams = require_principal().team_ids("coordinator")
    if team_id is None:
        if len(teams) == 1:
            return next(iter(teams))
        raise ApiError(422, "Say which team.", fields={"team_id": ["Required."]})
    if team_id not in teams:
        raise ApiError(403, "Only a coordinator of this team may export it.", "forbidden")
    return team_id


@blp.route("/exports")
class ExportsView(MethodView):
    @permission("coordinator")
    @blp.arguments(ExportArgs, location="query")
    def get(self, args: dict[str, Any]) -> Response:
        """Stream an export of your team (CSV, HXL, JSON, JSON Lines, HXL JSON or PFIF)."""
        user = require_user()
        team_id = _coordinated_team(args.get("team_id"))
        req = _request(args, team_id, args["profile"], args.get("recipient"))
        if args["check"]:
            validate_export(req)
            return Response(status=204)
        return _streamed(prepare(req, Actor(user, user.username, "session")))


@blp.route("/exports/log")
class ExportLogView(MethodView):
    @permission("coordinator")
    @blp.response(200, ExportLogSchema)
    def get(self) -> dict[str, Any]:
        """The last 200 exports of the teams you coordinate."""
        import sqlalchemy as sa

        teams = sorted(require_principal().team_ids("coordinator"))
        rows = db.session.scalars(
            sa.select(ExportLog)
            .where(ExportLog.team_id.in_(teams))
            .order_by(ExportLog.started_at.desc())
            .limit(200)
        )
        return {"exports": list(rows)}


def _narrowed(args: dict[str, Any], token: Any) -> ExportRequest:
    """The request within the token's scope: its filters bound every one of the request's."""
    scope = token.filters or {}
    allowed = scope.get("kinds")
    kinds = args.get("kind") or allowed or []
    if allowed and not set(kinds) <= set(allowed):
        raise ApiError(403, "This token does not cover that kind of record.", "forbidden")
    verification = args.get("verification") or scope.get("verification") or []
    if scope.get("verification") and not set(verification) <= set(scope["verification"]):
        raise ApiError(403, "This token does not cover that verification.", "forbidden")
    place = args.get("place") or scope.get("place")
    if scope.get("place") and place != scope["place"]:
        from app.services.gazetteer import find_place

        try:
            inner, outer = find_place(place), find_place(scope["place"])
        except ApiError:
            raise ApiError(422, "Unknown place.", fields={"place": ["Unknown."]}) from None
        if not inner.path.startswith(outer.path):
            raise ApiError(403, "This token does not cover that place.", "forbidden")
    bounded = dict(args, kind=kinds, verification=verification, place=place)
    for name, pick in (("date_from", max), ("date_to", min)):
        values = [d for d in (args.get(name), _date(scope.get(name))) if d is not None]
        bounded[name] = pick(values) if values else None
    return _request(bounded, token.team_id, token.profile, token.recipient)


def _date(text: Any) -> Any:
    from datetime import date

    return date.fromisoformat(text) if isinstance(text, str) else text


@blp.route("/partner/export")
class PartnerExportView(MethodView):
    @permission("partner")
    @blp.arguments(PartnerExportArgs, location="query")
    def get(self, args: dict[str, Any]) -> Response:
        """Pull an export with a partner token (`Authorization: Bearer tpt_…`)."""
        token = require_principal().scopes["partner"]
        req = _narrowed(args, token)
        actor = Actor(None, f"partner:{token.recipient}"[:80], "token", token)  # type: ignore[arg-type]
        return _streamed(prepare(req, actor))


@blp.route("/partner-tokens")
class PartnerTokensView(MethodView):
    @permission("authenticated")
    @blp.response(200, TokenListSchema)
    def get(self) -> dict[str, Any]:
        """Partner tokens of the teams you coordinate (an admin sees all, to revoke)."""
        tokens = partner_tokens.visible_tokens(require_principal())
        return {"partner_tokens": [partner_tokens.token_view(t) for t in tokens]}

    @permission("coordinator")
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Issue a partner token for your team; the token is shown once."""
        principal = require_principal()
        team_id = _coordinated_team(data.get("team_id"))
        filters = {
            "kinds": data.get("kinds"),
            "place": data.get("place"),
            "verification": data.get("verification"),
            "date_from": data["date_from"].isoformat() if data.get("date_from") else None,
            "date_to": data["date_to"].isoformat() if data.get("date_to") else None,
        }
        if filters["place"] and db.session.get(Place, filters["place"]) is None:
            from app.services.gazetteer import find_place

            try:
                filters["place"] = find_place(filters["place"]).id
            except ApiError:
                raise ApiError(422, "Unknown place.", fields={"place": ["Unknown."]}) from None
        row, token = partner_tokens.issue(
            principal.user,
            team_id,
            data["recipient"],
            data["profile"],
            filters,
            data.get("expires_at"),
            principal=principal,
        )
        return {"partner_token": partner_tokens.token_view(row), "token": token}


@blp.route("/partner-tokens/<token_id>/revoke")
class PartnerTokenRevokeView(MethodView):
    @permission("authenticated")
    @blp.response(200, TokenSchema)
    def post(self, token_id: str) -> dict[str, Any]:
        """Revoke a partner token at once (coordinator of its team, or an admin)."""
        principal = require_principal()
        row = partner_tokens.get_manageable(principal, token_id)
        return partner_tokens.token_view(partner_tokens.revoke(principal.user, row))
