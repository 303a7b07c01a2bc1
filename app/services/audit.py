"""Writing the security audit log (append-only: rows are inserted, never changed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEvent, User


def client_address() -> str:
    """The caller's address as waitress (or the trusted proxy) reports it."""
    return (request.remote_addr or "") if has_request_context() else "cli"


def audit(
    action: str,
    actor: User | None = None,
    *,
    target_type: str = "",
    target_id: str = "",
    team_id: str | None = None,
    actor_name: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits with the operation."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_name=actor_name if actor_name is not None else (actor.username if actor else ""),
        target_type=target_type,
        target_id=target_id,
        team_id=team_id,
        address=client_address(),
        details=details,
    )
    db.session.add(event)
    return event


def events(action: str | None, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    """One page of the log, newest first, optionally of one action; and the total count."""
    query = sa.select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(rows), int(total)
