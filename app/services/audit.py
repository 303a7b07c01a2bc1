"""Writing the security audit log (append-only: rows are inserted, never changed)."""

from __future__ import annotations

from typing import Any

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
