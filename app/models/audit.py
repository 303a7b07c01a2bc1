"""The security audit log: append-only, read by admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """One security-relevant event. Rows are only ever inserted (see services/audit.py)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    actor_name: Mapped[str] = mapped_column(sa.String(80), default="")
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[str] = mapped_column(sa.String(80), default="")
    team_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
