"""Devices that sync, and changes parked because they could not be applied."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, new_id, utcnow
from app.extensions import db


class Device(db.Model):  # type: ignore[name-defined,misc]
    """A registered install of the app: one origin id, one signing key, one sync token."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    origin_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    public_key: Mapped[str] = mapped_column(sa.Text, default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What the device said at its last handshake: how far its own log goes.
    reported_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    app_version: Mapped[str] = mapped_column(sa.String(40), default="")
    schema_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    last_pull_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ParkedChange(db.Model):  # type: ignore[name-defined,misc]
    """A change that arrived but could not be applied: kept whole with its reason.

    It never alters a record, a checkpoint or another change. After an upgrade it is
    examined again (`tawthiq setup`) and applied if it now can be.
    """

    __tablename__ = "parked_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, index=True)
    record_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    kind: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    team_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    user_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    device_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    via: Mapped[str] = mapped_column(sa.String(120), default="")
    reason: Mapped[str] = mapped_column(sa.Text)
    # The change exactly as received (JSON text, possibly not even a valid change).
    body: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution: Mapped[str] = mapped_column(sa.String(40), default="")
