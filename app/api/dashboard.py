"""The coordinator dashboard: one endpoint per chart, its CSV, and its drill-down.

`GET /api/v1/dashboard/<chart>` answers a chart's figures for the teams the caller
coordinates (JSON, or `?format=csv` through the one formula-safe CSV writer, logged in
the audit log); `GET /api/v1/dashboard/<chart>/records` lists the records behind one of
its numbers. The counting rule is docs/counting.md.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from app.api.errors import ApiError
from app.api.records import record_view
from app.exports.csv_safe import csv_chunks
from app.extensions import db
from app.schemas.record_api import RecordSchema
from app.security.permissions import permission, require_principal
from app.services import dashboard
from app.services.audit import audit
from app.vocabularies import codes

blp = Blueprint("dashboard", __name__, url_prefix="/api/v1/dashboard", description="Dashboard")

_VERIFICATION = codes("verification_status")


class FilterArgs(Schema):
    """The filters every chart applies."""

    team_id = fields.String(metadata={"description": "one of the teams you coordinate"})
    date_from = fields.Date(metadata={"description": "the record's date range overlaps"})
    date_to = fields.Date()
    place = fields.String(metadata={"description": "a place id or P-code: there or anywhere below"})
    verification = fields.List(
        fields.String(validate=validate.OneOf(_VERIFICATION)),
        metadata={"description": "repeatable"},
    )


class ChartArgs(FilterArgs):
    parent = fields.String(metadata={"description": "casualties_by_place: the level shown"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class DrillArgs(FilterArgs):
    """A cell's drill-down parameters: `drill[row]` and `series[column]` of the chart."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    measure = fields.String(validate=validate.OneOf(("killed", "injured")))
    part = fields.String(validate=validate.OneOf(("named", "incident")))
    day = fields.String(validate=validate.Length(max=10))
    week = fields.String(validate=validate.Length(max=10))
    place_in = fields.String()
    place_at = fields.String()
    cause = fields.String()
    sex = fields.String()
    age_group = fields.String()
    civilian_status = fields.String()
    verification_status = fields.String()
    disappearance_type = fields.String()
    fate = fields.String()
    priority = fields.String()
    item_category = fields.String()
    site_type = fields.String()
    unit = fields.String(validate=validate.Length(max=60))
    record_id = fields.String()
    kind = fields.String()
    origin = fields.String()
    has_conflicts = fields.String(validate=validate.OneOf(("true",)))
    needs_review = fields.String(validate=validate.OneOf(("true",)))


FILTER_NAMES = frozenset(FilterArgs().fields) | {"page", "per_page"}


class ChartSchema(Schema):
    chart = fields.String()
    group = fields.String()
    computed_at = fields.String(metadata={"description": "UTC, when these figures were counted"})
    teams = fields.List(fields.String())
    filters = fields.Dict()
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))
    drill = fields.List(
        fields.Dict(), metadata={"description": "per row: drill-down parameters of the row"}
    )
    series = fields.Dict(
        metadata={"description": "per column: drill-down parameters it adds (null: none)"}
    )
    in_conflict = fields.Integer(
        metadata={"description": "records behind the figures with open conflicts"}
    )
    parent = fields.String(allow_none=True)
    parent_path = fields.List(fields.String())


class ChartListSchema(Schema):
    charts = fields.Dict(metadata={"description": "chart name -> group"})


class ContributionSchema(Schema):
    record = fields.Nested(RecordSchema)
    counted = fields.Integer(metadata={"description": "people (or lines) counted from it"})


class DrillPageSchema(Schema):
    records = fields.List(fields.Nested(ContributionSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.route("")
class ChartsView(MethodView):
    @permission("coordinator")
    @blp.response(200, ChartListSchema)
    def get(self) -> dict[str, Any]:
        """The charts of the dashboard, by group."""
        return {"charts": {name: c.group for name, c in dashboard.CHARTS.items()}}


@blp.route("/<chart>")
class ChartView(MethodView):
    @permission("coordinator")
    @blp.arguments(ChartArgs, location="query", unknown=RAISE)
    @blp.response(200, ChartSchema)
    def get(self, args: dict[str, Any], chart: str) -> Any:
        """One chart's figures for your teams (`?format=csv`: the same table as CSV)."""
        principal = require_principal()
        figures = dashboard.chart(principal, chart, args)
        if args["format"] == "json":
            return figures
        audit(
            "dashboard_csv",
            principal.user,
            target_type="dashboard_chart",
            target_id=chart,
            teams=figures["teams"],
            filters=figures["filters"],
            rows=len(figures["rows"]),
        )
        db.session.commit()
        rows = [figures["columns"], *figures["rows"]]
        body = "".join(csv_chunks(rows, bom=True)).encode("utf-8")
        stamp = figures["computed_at"][:19].replace(":", "").replace("-", "")
        response = Response(body, content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{chart}-{stamp}Z.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("/<chart>/records")
class DrillView(MethodView):
    @permission("coordinator")
    @blp.arguments(DrillArgs, location="query", unknown=RAISE)
    @blp.response(200, DrillPageSchema)
    def get(self, args: dict[str, Any], chart: str) -> dict[str, Any]:
        """The records behind one number of a chart, with what each contributed."""
        params = {k: str(v) for k, v in args.items() if k not in FILTER_NAMES}
        if not params and chart.startswith("casualties_"):
            raise ApiError(422, "Say which number.", fields={"measure": ["Required."]})
        found, total = dashboard.records_behind(require_principal(), chart, args, params)
        return {
            "records": [{"record": record_view(r), "counted": n} for r, n in found],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
        }
