"""The deployment's gazetteer: governorates down to neighbourhoods."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, new_id, utcnow
from app.extensions import db

LEVELS = ("governorate", "district", "subdistrict", "community", "neighbourhood")


class Place(db.Model):  # type: ignore[name-defined,misc]
    """One named place. `path` lists ancestor ids so "everything under X" is one LIKE."""

    __tablename__ = "places"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    pcode: Mapped[str | None] = mapped_column(sa.String(40), unique=True, nullable=True)
    level: Mapped[str] = mapped_column(sa.String(20))
    parent_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # "/root-id/child-id/.../self-id/": prefix match finds a place and all below it.
    path: Mapped[str] = mapped_column(sa.String(400), index=True, default="")
    name_ar: Mapped[str] = mapped_column(sa.String(200), default="")
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    # Normalised Arabic and folded English names, for search.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    lat: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    lon: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
