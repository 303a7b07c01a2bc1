"""Killed and injured, counted once (docs/counting.md).

The figures come from plain grouped queries on covering indexes:
- **named**: every counting casualty record, grouped by the asked dimensions, where a
  linked casualty takes its incident's date, place, team and verification (casualties
  naming no incident in one query, the others joined to their incident in another);
- **incident**: every counting incident joined once to the people of its linked
  casualties (a subquery grouped per incident), giving the part of its figure not
  covered by named records (`max(0, min - L)`) and its upper bound (`max(0, max - L)`),
  counted as "unknown" in every dimension of a person; summed in SQL per group of the
  incident's event columns, so Python gets a few hundred rows, not one per incident.

No JSON is read; dates and places come back raw (start/end, path) and are put in days,
weeks or child places in Python, where the number of distinct values is small. Killed
and died of wounds are folded into one measure in SQL (fewer rows to Python).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.services.dashboard.scope import UNKNOWN, Scope, conflicted, records_table

KILLED = ("killed", "died_of_wounds")
MEASURES = ("killed", "injured")
PERSON_DIMS = ("cause", "sex", "age_group", "civilian_status")
EVENT_DIMS = ("date", "place", "team_id", "verification_status")
INCIDENT_COLUMNS = (
    "id",
    "team_id",
    "occurred_start",
    "occurred_end",
    "place_path",
    "verification_status",
    "killed_min",
    "killed_max",
    "injured_min",
    "injured_max",
    "has_conflicts",
)


@dataclass
class Figures:
    """Counted people per group: `named` records, `incident` figures not yet named."""

    named: dict[tuple[Any, ...], int]
    incident: dict[tuple[Any, ...], int]
    incident_high: dict[tuple[Any, ...], int]
    in_conflict: int


def _people(c: Any) -> Any:
    """People a casualty record stands for: its count, 1 when missing or below 1."""
    return sa.case((c.c.count >= 1, c.c.count), else_=1)


def _measure(c: Any) -> Any:
    return sa.case(
        (c.c.outcome.in_(KILLED), sa.literal("killed")),
        (c.c.outcome == "injured", sa.literal("injured")),
        else_=sa.null(),
    )


def _link_join(scope: Scope, c: Any, i: Any) -> Any:
    """Casualties LEFT JOIN the counting incident of their team they name."""
    return c.outerjoin(
        i,
        sa.and_(
            i.c.id == c.c.incident_id,
            i.c.team_id == c.c.team_id,
            i.c.kind == "incident",
            scope.counted(i),
        ),
    )


def _event(c: Any, i: Any) -> Callable[[str], Any]:
    """The column that says where/when/how sure: the incident's for a linked casualty."""

    def get(name: str) -> Any:
        return sa.case((i.c.id.is_(None), c.c[name]), else_=i.c[name])

    return get


def _key(dims: Sequence[str], row: Sequence[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    pos = 0
    for dim in dims:
        if dim == "date":
            out.append((row[pos], row[pos + 1]))
            pos += 2
        else:
            out.append(row[pos])
            pos += 1
    return tuple(out)


def named_select(scope: Scope, columns: Iterable[Any]) -> tuple[sa.Select[Any], Any, Any]:
    """SELECT `columns` FROM counting casualties (joined to their incident); (c, i)."""
    c, i = records_table(), records_table()
    cols = list(columns(c, i)) if callable(columns) else list(columns)
    stmt = (
        sa.select(*cols)
        .select_from(_link_join(scope, c, i))
        .where(
            c.c.kind == "casualty",
            scope.counted(c),
            c.c.outcome.in_((*KILLED, "injured")),
            *scope.filtered(_event(c, i)),
        )
    )
    return stmt, c, i


def linked_sums(scope: Scope, i: Any) -> Any:
    """People in an incident's counting linked casualty records, killed and injured:
    correlated subqueries, each a range of one index (`ix_records_dash_link`)."""
    out = {}
    for measure, outcomes in (("killed", KILLED), ("injured", ("injured",))):
        c = records_table()
        out[measure] = (
            sa.select(sa.func.coalesce(sa.func.sum(_people(c)), 0))
            .where(
                c.c.incident_id == i.c.id,
                c.c.team_id == i.c.team_id,
                c.c.kind == "casualty",
                c.c.visible.is_(True),
                sa.func.coalesce(c.c.verification_status, "") != "discounted",
                c.c.outcome.in_(outcomes),
            )
            .scalar_subquery()
        )
    return out


def linked_totals(scope: Scope) -> Any:
    """Subquery: per (team, incident id), people in its counting linked casualty records,
    killed (`killed`) and injured (`injured`): one grouped pass over the casualties."""
    c = records_table()
    people = _people(c)
    return (
        sa.select(
            c.c.team_id,
            c.c.incident_id,
            sa.func.sum(sa.case((c.c.outcome.in_(KILLED), people), else_=0)).label("killed"),
            sa.func.sum(sa.case((c.c.outcome == "injured", people), else_=0)).label("injured"),
        )
        .where(
            c.c.kind == "casualty",
            scope.counted(c),
            c.c.outcome.in_((*KILLED, "injured")),
            c.c.incident_id.is_not(None),
        )
        .group_by(c.c.team_id, c.c.incident_id)
        .subquery("linked")
    )


def uncovered(i: Any, linked: Any, measure: str) -> tuple[Any, Any]:
    """(part of the incident's figure not named, its upper bound) for one measure."""
    have = linked[measure]
    low = sa.func.coalesce(i.c[f"{measure}_min"], 0)
    high = sa.func.coalesce(i.c[f"{measure}_max"], i.c[f"{measure}_min"], 0)
    return (
        sa.case((low > have, low - have), else_=0),
        sa.case((high > have, high - have), else_=0),
    )


def incident_select(scope: Scope, columns: Callable[[Any, Any], Iterable[Any]]) -> Any:
    """SELECT columns(i, linked sums) FROM counting incidents."""
    i = records_table()
    inner = (
        sa.select(
            *[i.c[name] for name in INCIDENT_COLUMNS],
            *[v.label(f"linked_{k}") for k, v in linked_sums(scope, i).items()],
        )
        .where(i.c.kind == "incident", scope.counted(i), *scope.filtered(i))
        .subquery("incidents")
    )
    linked = {m: inner.c[f"linked_{m}"] for m in MEASURES}
    return sa.select(*columns(inner, linked))


def _raw_columns(dim: str, event: Any, person: Any) -> list[Any]:
    """Columns of a dimension, without COALESCE (mapped in Python after). `event` is
    an alias or a function from a column name to the event's expression."""
    get = event if callable(event) else (lambda name: event.c[name])
    if dim == "date":
        return [get("occurred_start"), get("occurred_end")]
    if dim == "place":
        return [get("place_path")]
    if dim in EVENT_DIMS:
        return [get(dim)]
    return [person.c[dim]]


def _clean(dims: Sequence[str], key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        v
        if d in ("date", "place", "team_id")
        else (v or "reported")
        if d == "verification_status"
        else (v or UNKNOWN)
        for d, v in zip(dims, key, strict=True)
    )


def figures(scope: Scope, dims: Sequence[str]) -> Figures:
    """Killed and injured per group of `dims` (+ the measure, last in each key).

    Three plain queries, each one covering-index scan grouped by plain columns: named
    casualties standing alone, named casualties of counting incidents (grouped by the
    incident's event columns), and counting incidents with their linked sums."""
    named: dict[tuple[Any, ...], int] = defaultdict(int)
    in_conflict = 0
    n_cols = sum(2 if d == "date" else 1 for d in dims)
    group = [sa.literal_column(str(k + 1)) for k in range(n_cols + 1)]
    for with_link in (False, True):
        c, i = records_table(), records_table()
        if with_link:
            # Casualties naming an incident: its columns when it counts, else their own.
            event: Any = _event(c, i)
            source: Any = _link_join(scope, c, i)
            linkage = c.c.incident_id.is_not(None)
        else:
            # Most casualties name no incident: a plain range of the covering index.
            event, source, linkage = (lambda name, c=c: c.c[name]), c, c.c.incident_id.is_(None)
        cols = [col for d in dims for col in _raw_columns(d, event, c)]
        stmt = (
            sa.select(
                *cols,
                _measure(c),  # killed or injured: grouped in SQL, not per outcome
                sa.func.sum(_people(c)),
                conflicted(c),
            )
            .select_from(source)
            .where(
                c.c.kind == "casualty",
                scope.counted(c),
                c.c.outcome.in_((*KILLED, "injured")),
                linkage,
                *scope.filtered(event),
            )
        )
        for row in db.session.execute(stmt.group_by(*group)):
            key = _clean(dims, _key(dims, row[:n_cols]))
            named[(*key, row[n_cols])] += int(row[n_cols + 1])
            in_conflict += int(row[n_cols + 2] or 0)

    incident: dict[tuple[Any, ...], int] = defaultdict(int)
    incident_high: dict[tuple[Any, ...], int] = defaultdict(int)
    event_dims = [d for d in dims if d in EVENT_DIMS]
    i = records_table()
    linked = linked_totals(scope)
    have = {m: sa.func.coalesce(linked.c[m], 0) for m in MEASURES}
    # COALESCE(x, NULL) is x, but an expression: grouped by a bare date or place column,
    # SQLite would walk that column's index (`ix_records_team_kind_occurred`,
    # `ix_records_place_path`: not covering) for its order and read every incident's
    # row; grouped by expressions it reads the covering `ix_records_dash_other`.
    ev_cols = [
        sa.func.coalesce(col, sa.null()) for d in event_dims for col in _raw_columns(d, i, i)
    ]
    n_ev = len(ev_cols)
    parts = [sa.func.sum(part) for m in MEASURES for part in uncovered(i, have, m)]
    # The incident part grouped in SQL (one row per group of event columns, not one per
    # incident): each counting incident joined once to its linked sums.
    stmt = (
        sa.select(*ev_cols, *parts, conflicted(i))
        .select_from(
            i.outerjoin(
                linked, sa.and_(linked.c.incident_id == i.c.id, linked.c.team_id == i.c.team_id)
            )
        )
        .where(i.c.kind == "incident", scope.counted(i), *scope.filtered(i))
    )
    if ev_cols:
        stmt = stmt.group_by(*[sa.literal_column(str(k + 1)) for k in range(n_ev)])
    for row in db.session.execute(stmt):
        ev = dict(zip(event_dims, _clean(event_dims, _key(event_dims, row[:n_ev])), strict=True))
        key = tuple(ev.get(d, UNKNOWN) for d in dims)
        k_low, k_high, i_low, i_high, in_conflicts = row[n_ev:]
        in_conflict += int(in_conflicts or 0)
        for m, low, high in (("killed", k_low, k_high), ("injured", i_low, i_high)):
            # Only groups with something not yet named, as one row per incident did.
            if low or high:
                incident[(*key, m)] += int(low or 0)
                incident_high[(*key, m)] += int(high or 0)
    return Figures(dict(named), dict(incident), dict(incident_high), in_conflict)
