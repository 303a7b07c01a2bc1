"""Liveness and database reachability, for monitors and the TLS front."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint

from app.extensions import db
from app.security.permissions import permission

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@permission("public")
def healthz() -> tuple[dict[str, Any], int]:
    """`{"status": "ok", "database": "ok"}`, or 503 when the database does not answer."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return {"status": "ok", "database": "ok", "dialect": db.engine.dialect.name}, 200
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"status": "degraded", "database": "unreachable"}, 503
