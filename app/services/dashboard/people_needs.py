"""The missing persons and supply needs charts (docs/counting.md)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.services.dashboard.scope import (
    IMPRECISE,
    UNKNOWN,
    Scope,
    conflicted,
    records_table,
    week_of,
)
from app.services.dashboard.table import Table
from app.services.record_columns import date_bounds
from app.vocabularies import codes

DEAD = ("believed_dead", "confirmed_dead")
OPEN = ("open", "partially_fulfilled")
PRIORITIES = tuple(reversed(codes("priority")))  # critical first


def counted_fate(fate: str | None, notified: bool) -> str:
    """The fate a missing person counts under: a death only once the family knows."""
    if fate in DEAD and not notified:
        return "missing"
    return fate or UNKNOWN


def _by_week(rows: Any, values: tuple[str, ...], key: str) -> Table:
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    conflicts = 0
    for week, value, n, c in rows:
        cells[week][value] += n
        conflicts += c
    table = Table(
        ["week", *values, "total"],
        series={"week": None, **{v: {key: v} for v in values}, "total": {}},
        in_conflict=conflicts,
    )
    for week in sorted(cells, key=lambda w: (w == IMPRECISE, w)):
        counts = [cells[week].get(v, 0) for v in values]
        table.add([week, *counts, sum(counts)], {"week": week})
    return table


def missing_by_type(scope: Scope) -> Table:
    """New missing-person cases per week last seen, by disappearance type."""
    r = records_table()
    stmt = (
        sa.select(
            r.c.occurred_start,
            r.c.occurred_end,
            sa.func.coalesce(r.c.disappearance_type, UNKNOWN),
            sa.func.count(),
            conflicted(r),
        )
        .where(r.c.kind == "missing_person", scope.counted(r), *scope.filtered(r))
        .group_by(sa.literal_column("1"), sa.literal_column("2"), sa.literal_column("3"))
    )
    rows = [(week_of(s, e), t, int(n), int(c or 0)) for s, e, t, n, c in db.session.execute(stmt)]
    types = (*codes("disappearance_type"), UNKNOWN)
    return _by_week(rows, types, "disappearance_type")


def fate_week(fate: str | None, notified: bool, fate_date: str | None, start: Any, end: Any) -> str:
    """The week a fate counts in: its own date, else (and for a death not yet shared) the
    date last seen."""
    if fate_date and counted_fate(fate, notified) == (fate or UNKNOWN):
        return week_of(*date_bounds(fate_date))
    return week_of(start, end)


def missing_fate(scope: Scope) -> Table:
    """Missing persons per week of their fate's date, by fate as counted."""
    r = records_table()
    stmt = (
        sa.select(
            r.c.fate_status,
            r.c.family_notified,
            r.c.fate_date,
            r.c.occurred_start,
            r.c.occurred_end,
            sa.func.count(),
            conflicted(r),
        )
        .where(r.c.kind == "missing_person", scope.counted(r), *scope.filtered(r))
        .group_by(*[sa.literal_column(str(k)) for k in range(1, 6)])
    )
    rows = [
        (fate_week(f, bool(nt), fd, s, e), counted_fate(f, bool(nt)), int(n), int(c or 0))
        for f, nt, fd, s, e, n, c in db.session.execute(stmt)
    ]
    fates = (*[f for f in codes("fate_status") if f != UNKNOWN], UNKNOWN)
    return _by_week(rows, fates, "fate")


def _open_needs(scope: Scope, r: Any) -> list[Any]:
    return [r.c.kind == "supply_need", scope.counted(r), r.c.status.in_(OPEN), *scope.filtered(r)]


def _priority_pivot(scope: Scope, column: str, label: str) -> Table:
    r = records_table()
    stmt = (
        sa.select(
            sa.func.coalesce(r.c[column], UNKNOWN),
            sa.func.coalesce(r.c.priority, UNKNOWN),
            sa.func.count(),
            conflicted(r),
        )
        .where(*_open_needs(scope, r))
        .group_by(sa.literal_column("1"), sa.literal_column("2"))
    )
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    conflicts = 0
    for value, priority, n, c in db.session.execute(stmt):
        cells[value][priority] += int(n)
        conflicts += int(c or 0)
    table = Table(
        [label, *PRIORITIES, "total"],
        series={label: None, **{p: {"priority": p} for p in PRIORITIES}, "total": {}},
        in_conflict=conflicts,
    )
    order = {p: i for i, p in enumerate(PRIORITIES)}
    for value in sorted(
        cells, key=lambda v: tuple(-cells[v].get(p, 0) for p in sorted(order, key=order.get))
    ):
        counts = [cells[value].get(p, 0) for p in PRIORITIES]
        table.add([value, *counts, sum(counts)], {column: value})
    return table


def supply_open(scope: Scope) -> Table:
    """Open need lines by item category (rows) and priority (columns)."""
    return _priority_pivot(scope, "item_category", "item_category")


def supply_by_site_type(scope: Scope) -> Table:
    """Open need lines by requesting site type and priority."""
    return _priority_pivot(scope, "site_type", "site_type")


def supply_quantities(scope: Scope) -> Table:
    """Quantities needed, committed and delivered of open needs, per category and unit."""
    r = records_table()
    stmt = (
        sa.select(
            sa.func.coalesce(r.c.item_category, UNKNOWN),
            sa.func.coalesce(r.c.unit, ""),
            sa.func.count(),
            sa.func.sum(sa.func.coalesce(r.c.quantity_needed, 0)),
            sa.func.sum(sa.func.coalesce(r.c.quantity_committed, 0)),
            sa.func.sum(sa.func.coalesce(r.c.quantity_delivered, 0)),
            conflicted(r),
        )
        .where(*_open_needs(scope, r))
        .group_by(sa.literal_column("1"), sa.literal_column("2"))
    )
    table = Table(
        ["item_category", "unit", "lines", "needed", "committed", "delivered", "outstanding"],
        series={
            "item_category": None,
            "unit": None,
            "lines": {},
            "needed": {},
            "committed": {},
            "delivered": {},
            "outstanding": {},
        },
    )
    for cat, unit, n, need, com, dl, c in sorted(db.session.execute(stmt), key=lambda x: x[:2]):
        need, com, dl = int(need or 0), int(com or 0), int(dl or 0)
        table.add(
            [cat, unit, int(n), need, com, dl, max(0, need - dl)],
            {"item_category": cat, "unit": unit},
        )
        table.in_conflict += int(c or 0)
    return table


def supply_oldest_critical(scope: Scope, limit: int = 50) -> Table:
    """Open critical needs, the oldest report first."""
    r = records_table()
    stmt = (
        sa.select(
            r.c.id,
            r.c.created_at,
            r.c.item_category,
            r.c.site_type,
            r.c.unit,
            r.c.quantity_needed,
            r.c.quantity_committed,
            r.c.quantity_delivered,
            r.c.has_conflicts,
            r.c.state,
        )
        .where(*_open_needs(scope, r), r.c.priority == "critical")
        .order_by(r.c.created_at, r.c.id)
        .limit(limit)
    )
    table = Table(
        [
            "record_id",
            "reported",
            "item_name",
            "item_category",
            "site_type",
            "unit",
            "needed",
            "committed",
            "delivered",
        ],
        series={"record_id": None, "reported": None, "item_name": None, "needed": {}},
    )
    for row in db.session.execute(stmt):
        values = (row.state or {}).get("values", {})
        table.add(
            [
                row.id,
                row.created_at.isoformat() if row.created_at else None,
                values.get("item_name"),
                row.item_category,
                row.site_type,
                row.unit,
                row.quantity_needed or 0,
                row.quantity_committed or 0,
                row.quantity_delivered or 0,
            ],
            {"record_id": row.id},
        )
        table.in_conflict += 1 if row.has_conflicts else 0
    return table
