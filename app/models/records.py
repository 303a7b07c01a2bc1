"""The change log (the truth) and the records cache (its materialised state).

`changes` is append-only: a row is inserted once, in commit order of `hub_seq`, and only
ever rewritten by a purge, which blanks its payload. `records` can be dropped and rebuilt
from `changes` at any time (`tawthiq db rebuild-records`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

# On SQLite an INTEGER PRIMARY KEY is the rowid: the cheapest ordered key it has.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class ChangeRow(db.Model):  # type: ignore[name-defined,misc]
    """One change as received, with the hub's commit-ordered sequence number."""

    __tablename__ = "changes"
    __table_args__ = (sa.Index("ix_changes_origin", "origin_id", "origin_seq"),)

    hub_seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    op_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    record_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    team_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    origin_id: Mapped[str] = mapped_column(sa.String(128))
    origin_seq: Mapped[int] = mapped_column(sa.BigInteger)
    action: Mapped[str] = mapped_column(sa.String(20))
    author: Mapped[str] = mapped_column(sa.String(200))
    hlc: Mapped[str] = mapped_column(sa.String(200))
    # The change exactly as it travels (JSON text): pull serves it without re-encoding.
    body: Mapped[str] = mapped_column(sa.Text)
    purged_by: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    # Writes a field that decides who may hold the record (assigned_to, sensitivity):
    # pull looks for these to widen (serve earlier changes) or narrow (forget).
    touches_access: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Where it came from: "rest", "device:<id>", "peer:<id>", "bundle:<id>".
    via: Mapped[str] = mapped_column(sa.String(120), default="rest")


class Record(db.Model):  # type: ignore[name-defined,misc]
    """The materialised state of one record, with typed columns for filters and search."""

    __tablename__ = "records"
    __table_args__ = (
        sa.Index("ix_records_team_kind_occurred", "team_id", "kind", "occurred_start"),
        sa.Index("ix_records_team_updated", "team_id", "updated_seq"),
        # Newest first (lists, name search for common names) and exports' keyset order.
        sa.Index("ix_records_updated", "updated_seq", "id"),
        # The dashboard's covering indexes (docs/counting.md): each chart reads one index,
        # never the rows with their JSON state. Casualties, grouped by any dimension, with
        # the event columns of their incident (copied onto the row: no join):
        sa.Index(
            "ix_records_dash_casualty",
            "team_id",
            "kind",
            "visible",
            "outcome",
            "verification_status",
            "event_start",
            "event_end",
            "event_place_path",
            "event_verification_status",
            "civilian_status",
            "sex",
            "age_group",
            "cause",
            "count",
            "has_conflicts",
        ),
        # Every other chart: kind-specific columns after the filters.
        sa.Index(
            "ix_records_dash_other",
            "team_id",
            "kind",
            "visible",
            "verification_status",
            "occurred_start",
            "occurred_end",
            "place_path",
            "has_conflicts",
            "created_origin",
            "id",
            "killed_min",
            "killed_max",
            "injured_min",
            "injured_max",
            "needs_review",
            "linked_killed",
            "linked_injured",
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64), index=True)
    team_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    # RecordState.to_dict(): values, conflicts, flags and the merge bookkeeping.
    state: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_by: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    etag: Mapped[str] = mapped_column(sa.String(64), default="")
    visible: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    has_conflicts: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    needs_review: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    merged_into: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    # Typed copies of values that lists, search, dashboards and exports filter on.
    place_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    place_path: Mapped[str | None] = mapped_column(sa.String(400), nullable=True, index=True)
    occurred_start: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    occurred_end: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    incident_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, index=True)
    count: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    outcome: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    cause: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    sex: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    age_group: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    civilian_status: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    disappearance_type: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    fate_status: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    event_type: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    priority: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    status: Mapped[str | None] = mapped_column(sa.String(30), nullable=True)
    item_category: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    verification_status: Mapped[str | None] = mapped_column(sa.String(30), nullable=True)
    sensitivity: Mapped[str] = mapped_column(sa.String(30), default="restricted")
    assigned_to: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    # For the dashboard (docs/counting.md): incident ranges, need quantities, and where
    # a record was created (the create change's origin: a device, or this hub for REST).
    killed_min: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    killed_max: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    injured_min: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    injured_max: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    quantity_needed: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    quantity_committed: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    quantity_delivered: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    unit: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    site_type: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    fate_date: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    # True only when the family is notified and neither the fate nor the notice is in
    # conflict: until then a death counts as missing on the dashboard.
    family_notified: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    created_origin: Mapped[str] = mapped_column(sa.String(128), default="", server_default="")
    # Kept by the change path (app/services/incident_links.py), so the casualty charts
    # read one index and never join a casualty to its incident. On a casualty: the date,
    # place and verification it counts under (its incident's while it is linked to a
    # counting incident of its team, else its own). On an incident: the people of its
    # counting linked casualty records, killed and injured.
    event_start: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    event_end: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    event_place_path: Mapped[str | None] = mapped_column(sa.String(400), nullable=True)
    event_verification_status: Mapped[str | None] = mapped_column(sa.String(30), nullable=True)
    # No Python default: the bulk insert of the change path leaves them to the database.
    linked_killed: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    linked_injured: Mapped[int] = mapped_column(sa.Integer, server_default="0")


class NameToken(db.Model):  # type: ignore[name-defined,misc]
    """One normalised token of a person's names: the index behind name search."""

    __tablename__ = "record_name_tokens"
    # A search probes "has this record a token in this range?" in this index alone.
    __table_args__ = (sa.Index("ix_record_name_tokens_record_token", "record_id", "token"),)

    # Binary ("C") collation on PostgreSQL so a prefix range is a byte range on the index.
    token: Mapped[str] = mapped_column(
        sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql"),
        primary_key=True,
    )
    record_id: Mapped[str] = mapped_column(
        sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )


class HubCounter(db.Model):  # type: ignore[name-defined,misc]
    """Counters handed out in commit order: `hub_seq`, and this hub's own `origin_seq`.

    A writer updates a counter row as its last statement before commit, so the row lock
    orders commits: a puller that sees counter N has every change up to N.
    """

    __tablename__ = "hub_counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class HubIdentity(db.Model):  # type: ignore[name-defined,misc]
    """This hub's origin id (for changes it writes itself) and its clock."""

    __tablename__ = "hub_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_id: Mapped[str] = mapped_column(sa.String(128))
    last_hlc: Mapped[str] = mapped_column(sa.String(200), default="")
