"""Bulk inserts and updates at the driver's pace store exactly what Core would store.

`bulk_sql` converts each value with SQLAlchemy's own bind processors and hands tuples to
the driver; a row written that way must read back equal, column for column, to the same
row written through a Core executemany (timestamps, booleans, JSON, NULLs), on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import NameToken, Record
from app.services import bulk_sql

RECORDS = Record.__table__


def _row(rid: str, now: datetime, **extra: Any) -> dict[str, Any]:
    row = {
        "id": rid,
        "kind": "casualty",
        "team_id": "t-1",
        "state": {"values": {"full_name": "محمد", "age_years": 30}, "ops": {}, "flag": True},
        "created_by": "u-1",
        "created_at": now,
        "updated_at": now,
        "updated_seq": 7,
        "etag": "e" * 32,
        "visible": True,
        "deleted": False,
        "has_conflicts": False,
        "needs_review": True,
        "merged_into": None,
        "place_id": None,
        "place_path": None,
        "occurred_start": "2024-03-01",
        "occurred_end": "2024-03-31",
        "incident_id": None,
        "count": 1,
        "outcome": "killed",
        "cause": None,
        "sex": "male",
        "age_group": None,
        "civilian_status": "civilian",
        "disappearance_type": None,
        "fate_status": None,
        "event_type": None,
        "priority": None,
        "status": None,
        "item_category": None,
        "verification_status": "reported",
        "sensitivity": "restricted",
        "assigned_to": None,
    }
    row.update(extra)
    return row


def _read(rid: str) -> dict[str, Any]:
    got = db.session.execute(sa.select(RECORDS).where(RECORDS.c.id == rid)).one()._asdict()
    got.pop("id")
    return got


def test_insert_many_stores_what_core_stores(app: Any) -> None:
    """Every column of a bulk-inserted row reads back as a Core-inserted one does."""
    now = datetime(2026, 11, 26, 16, 30, 5, 123456, tzinfo=UTC)
    db.session.execute(RECORDS.insert(), [_row("core", now)])
    bulk_sql.insert_many(RECORDS, [_row("bulk-1", now), _row("bulk-2", now, count=None)])
    db.session.commit()
    assert _read("bulk-1") == _read("core")
    assert _read("bulk-2") == {**_read("core"), "count": None}
    assert _read("bulk-1")["created_at"] == now


def test_update_many_stores_what_core_stores(app: Any) -> None:
    """A bulk update changes exactly the given columns of the rows named by their key."""
    now = datetime(2026, 11, 26, 16, 30, 5, tzinfo=UTC)
    later = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    bulk_sql.insert_many(RECORDS, [_row(r, now) for r in ("a", "b", "c")])
    change = {"state": {"values": {}}, "updated_at": later, "visible": False, "sex": None}
    bulk_sql.update_many(RECORDS, "id", [{"id": "a", **change}, {"id": "b", **change}])
    db.session.commit()
    for rid in ("a", "b"):
        assert _read(rid) == {**_read("c"), **change}
    assert _read("c")["visible"] is True


def test_rows_of_a_table_without_every_column_take_core_defaults(app: Any) -> None:
    """A table whose rows leave a defaulted column out still gets its default."""
    bulk_sql.insert_many(RECORDS, [_row("r", datetime.now(UTC))])
    bulk_sql.insert_many(NameToken.__table__, [{"record_id": "r", "token": "محمد"}])
    rows = {
        k: v
        for k, v in _row("r2", datetime.now(UTC)).items()
        if k not in ("created_by", "etag")  # both have Python-side defaults
    }
    bulk_sql.insert_many(RECORDS, [rows])
    db.session.commit()
    assert db.session.scalar(sa.select(NameToken.token)) == "محمد"
    assert _read("r2")["created_by"] == "" and _read("r2")["etag"] == ""
