"""Partner tokens (scoped, expiring, revocable keys for partners' scripts) and the export log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, new_id, utcnow
from app.extensions import db


class PartnerToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token bound to one team, one recipient, one profile and optional filters.

    Only the token's sha256 is kept. The recipient's name also keys the ids the recipient
    sees (HMAC), so a re-issued token for the same recipient keeps their ids stable.
    """

    __tablename__ = "partner_tokens"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(200))
    profile: Mapped[str] = mapped_column(sa.String(20))
    # {"kinds": [...], "place": id, "verification": [...], "date_from": "...", "date_to": "..."}
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExportLog(db.Model):  # type: ignore[name-defined,misc]
    """One export: who, which profile and filters, how many records, when (append, then
    finished once with its counts)."""

    __tablename__ = "export_log"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    partner_token_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    via: Mapped[str] = mapped_column(sa.String(20))  # session | token | cli
    profile: Mapped[str] = mapped_column(sa.String(20))
    format: Mapped[str] = mapped_column(sa.String(20))
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    until_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # started | completed | aborted (the client went away) | failed
    status: Mapped[str] = mapped_column(sa.String(20), default="started")
    record_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    withdrawn_count: Mapped[int] = mapped_column(sa.Integer, default=0)
