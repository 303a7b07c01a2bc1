"""The deployment's gazetteer: governorates down to neighbourhoods.

A place has two identities: its `id` (a UUID, what records point at and what travels
between hubs) and, when it has one, its OCHA `pcode`. Places imported with a P-code get an
id derived from it (`services.gazetteer.place_id_for_pcode`), so two hubs that import the
same COD file independently agree on every id without talking to each other.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, new_id, utcnow
from app.extensions import db

# From the top down; a child's level is always below its parent's.
LEVELS = ("governorate", "district", "subdistrict", "community", "neighbourhood")


class Place(db.Model):  # type: ignore[name-defined,misc]
    """One named place. `path` lists ancestor ids so "everything under X" is one LIKE."""

    __tablename__ = "places"
    __table_args__ = (
        sa.CheckConstraint(
            sa.column("level").in_(LEVELS),
            name="level",
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    # Upper case, e.g. "SY04", "SY040100", "C4082"; None for places added locally.
    pcode: Mapped[str | None] = mapped_column(sa.String(40), unique=True, nullable=True)
    level: Mapped[str] = mapped_column(sa.String(20))
    parent_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # "/root-id/child-id/.../self-id/": prefix match finds a place and all below it, and
    # ordering by path lists every parent before its children.
    path: Mapped[str] = mapped_column(sa.String(400), index=True, default="")
    name_ar: Mapped[str] = mapped_column(sa.String(200), default="")
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    # `app.text.arabic.search_key(name_ar, name_en)`: "|form|form|", kept in step with
    # the names by the gazetteer service (the only writer).
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    lat: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    lon: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Lets an offline client refresh its cached gazetteer with only what changed.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    @property
    def ancestor_ids(self) -> list[str]:
        """Ids of the ancestors, top first (from `path`, without loading anything)."""
        return [part for part in self.path.strip("/").split("/") if part][:-1]

    @property
    def depth(self) -> int:
        """0 for a place with no parent."""
        return len(self.ancestor_ids)
