"""The security audit log, for admins: newest first, filterable by action, paginated."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from app.schemas.accounts import AuditPageSchema, AuditQuerySchema
from app.security.permissions import permission
from app.services import audit

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


@blp.route("")
class AuditView(MethodView):
    @permission("admin")
    # Query parameters too are rejected by name when unknown: a misspelt filter
    # (`?acton=login`) must not silently answer with the whole log.
    @blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, AuditPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """One page of audit events (`?action=&page=&per_page=`)."""
        page, per_page = query["page"], query["per_page"]
        items, total = audit.events(query.get("action"), page, per_page)
        return {"items": items, "page": page, "per_page": per_page, "total": total}
