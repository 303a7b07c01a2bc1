"""Records: incidents, casualties, missing persons and supply needs.

Every write is a change in the hub's change log (see services/changelog.py); PUT and
DELETE need If-Match with the record's ETag (428 without, 412 when stale).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.schemas.record_api import (
    HistorySchema,
    PurgeSchema,
    RecordBodySchema,
    RecordListArgs,
    RecordPageSchema,
    RecordSchema,
    ResolveSchema,
)
from app.schemas.records import all_json_schemas
from app.security.permissions import permission, require_principal
from app.services import record_queries, records
from app.services.record_codec import rest_values
from app.vocabularies import vocabulary_payload

blp = Blueprint("records", __name__, url_prefix="/api/v1", description="Records")


def record_view(row: Any) -> dict[str, Any]:
    """The API view of one cached record."""
    state = row.state
    return {
        "id": row.id,
        "kind": row.kind,
        "team_id": row.team_id,
        "values": rest_values(row.kind, state.get("values", {})),
        "conflicts": state.get("conflicts", {}),
        "deleted": row.deleted,
        "delete_conflict": state.get("delete_conflict", False),
        "needs_review": row.needs_review,
        "merged_into": row.merged_into,
        "purged": state.get("purged", False),
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "updated_seq": row.updated_seq,
        "etag": row.etag,
    }


def _with_etag(row: Any, status: int = 200) -> Response:
    response = jsonify(RecordSchema().dump(record_view(row)))
    response.status_code = status
    response.headers["ETag"] = f'"{row.etag}"'
    return response


@blp.route("/records")
class RecordsView(MethodView):
    @permission("team_member")
    @blp.arguments(RecordListArgs, location="query")
    @blp.response(200, RecordPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the records you may see, with filters, name search and pagination."""
        page = record_queries.list_records(require_principal(), args)
        page["records"] = [record_view(r) for r in page["records"]]
        return page

    @permission("team_member")
    @blp.arguments(RecordBodySchema)
    @blp.response(201, RecordSchema, headers={"ETag": {"schema": {"type": "string"}}})
    def post(self, body: dict[str, Any]) -> Response:
        """Create a record; `id` (a UUID made on the device) is optional."""
        return _with_etag(records.create(require_principal(), body), 201)


@blp.route("/records/<record_id>")
class RecordView(MethodView):
    @permission("team_member")
    @blp.response(200, RecordSchema)
    def get(self, record_id: str) -> Response:
        """One record, with its ETag."""
        return _with_etag(records.get_readable(require_principal(), record_id))

    @permission("team_member")
    @blp.arguments(RecordBodySchema)
    @blp.response(200, RecordSchema)
    def put(self, body: dict[str, Any], record_id: str) -> Response:
        """Replace a record's fields (If-Match required); stored as the diff it makes."""
        row = records.update(
            require_principal(),
            record_id,
            body,
            if_match=request.headers.get("If-Match"),
            replace=True,
        )
        return _with_etag(row)

    @permission("team_member")
    @blp.arguments(RecordBodySchema)
    @blp.response(200, RecordSchema)
    def patch(self, body: dict[str, Any], record_id: str) -> Response:
        """Change some fields (If-Match optional); 409 on fields with open conflicts."""
        row = records.update(
            require_principal(),
            record_id,
            body,
            if_match=request.headers.get("If-Match"),
            replace=False,
        )
        return _with_etag(row)

    @permission("team_member")
    @blp.response(204)
    def delete(self, record_id: str) -> Response:
        """Delete a record (If-Match required); its history stays."""
        records.delete(require_principal(), record_id, if_match=request.headers.get("If-Match"))
        return Response(status=204)


@blp.route("/records/<record_id>/history")
class HistoryView(MethodView):
    @permission("team_member")
    @blp.response(200, HistorySchema)
    def get(self, record_id: str) -> dict[str, Any]:
        """Who changed which field from what to what, when, and from where."""
        return {"record_id": record_id, "changes": records.history(require_principal(), record_id)}


@blp.route("/records/<record_id>/resolve")
class ResolveView(MethodView):
    @permission("coordinator")
    @blp.arguments(ResolveSchema)
    @blp.response(200, RecordSchema)
    def post(self, data: dict[str, Any], record_id: str) -> Response:
        """Settle open conflicts with the chosen values (coordinators)."""
        return _with_etag(records.resolve(require_principal(), record_id, data["fields_"]))


@blp.route("/records/<record_id>/purge")
class PurgeView(MethodView):
    @permission("coordinator")
    @blp.arguments(PurgeSchema)
    @blp.response(204)
    def post(self, data: dict[str, Any], record_id: str) -> Response:
        """Erase a record's content everywhere, keeping that it existed (coordinators)."""
        records.purge(require_principal(), record_id, data["reason"])
        return Response(status=204)


@blp.route("/schemas")
class SchemasView(MethodView):
    @permission("authenticated")
    def get(self) -> dict[str, Any]:
        """JSON Schema per record kind, with cross-field rules and vocabularies."""
        return {**all_json_schemas(), "vocabularies": vocabulary_payload()}
