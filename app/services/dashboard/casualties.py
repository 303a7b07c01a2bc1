"""Killed and injured, counted once (docs/counting.md).

Two queries make every casualty figure:
- **named**: every counting casualty record, grouped by the asked dimensions, where a
  linked casualty takes its incident's date, place, team and verification;
- **incident**: every counting incident, with the sums of its linked casualties, giving
  the part of its figure not covered by named records (`max(0, min - L)`) and its upper
  bound (`max(0, max - L)`), counted as "unknown" in every dimension of a person.

Both group by columns of the records cache (no JSON is read); dates and places come
back raw (start/end, path) and are put in days, weeks or child places in Python, where
the number of distinct values is small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.services.dashboard.scope import UNKNOWN, Scope, records_table

KILLED = ("killed", "died_of_wounds")
MEASURES = ("killed", "injured")
PERSON_DIMS = ("cause", "sex", "age_group", "civilian_status")
EVENT_DIMS = ("date", "place", "team_id", "verification_status")
DIMS = EVENT_DIMS + PERSON_DIMS


@dataclass
class Figures:
    """Counted people per group: `named` records, `incident` figures not yet named."""

    named: dict[tuple[Any, ...], int]
    incident: dict[tuple[Any, ...], int]
    incident_high: dict[tuple[Any, ...], int]
    in_conflict: int


def _people(c: Any) -> Any:
    return sa.case((sa.or_(c.c.count.is_(None), c.c.count < 1), 1), else_=c.c.count)


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


def _dim_columns(dim: str, event: Callable[[str], Any], person: Any) -> list[Any]:
    if dim == "date":
        return [event("occurred_start"), event("occurred_end")]
    if dim == "place":
        return [event("place_path")]
    if dim == "team_id":
        return [event("team_id")]
    if dim == "verification_status":
        return [sa.func.coalesce(event("verification_status"), "reported")]
    return [sa.func.coalesce(person.c[dim], UNKNOWN)]


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


def linked_sums(scope: Scope) -> Any:
    """Per incident: people in its counting linked casualty records, killed and injured."""
    c = records_table()
    people = _people(c)
    return (
        sa.select(
            c.c.incident_id.label("incident_id"),
            c.c.team_id.label("team_id"),
            sa.func.sum(sa.case((c.c.outcome.in_(KILLED), people), else_=0)).label("killed"),
            sa.func.sum(sa.case((c.c.outcome == "injured", people), else_=0)).label("injured"),
        )
        .where(c.c.kind == "casualty", scope.counted(c), c.c.incident_id.is_not(None))
        .group_by(c.c.incident_id, c.c.team_id)
        .subquery("linked")
    )


def uncovered(i: Any, linked: Any, measure: str) -> tuple[Any, Any]:
    """(part of the incident's figure not named, its upper bound) for one measure."""
    have = sa.func.coalesce(linked.c[measure], 0)
    low = sa.func.coalesce(i.c[f"{measure}_min"], 0)
    high = sa.func.coalesce(i.c[f"{measure}_max"], i.c[f"{measure}_min"], 0)
    return (
        sa.case((low > have, low - have), else_=0),
        sa.case((high > have, high - have), else_=0),
    )


def incident_select(scope: Scope, columns: Callable[[Any, Any], Iterable[Any]]) -> Any:
    """SELECT columns(i, linked) FROM counting incidents LEFT JOIN their linked sums."""
    i = records_table()
    linked = linked_sums(scope)
    return (
        sa.select(*columns(i, linked))
        .select_from(
            i.outerjoin(
                linked, sa.and_(linked.c.incident_id == i.c.id, linked.c.team_id == i.c.team_id)
            )
        )
        .where(i.c.kind == "incident", scope.counted(i), *scope.filtered(i))
    )


def figures(scope: Scope, dims: Sequence[str]) -> Figures:
    """Killed and injured per group of `dims` (+ the measure, last in each key)."""
    named: dict[tuple[Any, ...], int] = defaultdict(int)
    in_conflict = 0

    def named_columns(c: Any, i: Any) -> list[Any]:
        event = _event(c, i)
        cols = [col for d in dims for col in _dim_columns(d, event, c)]
        return [
            *cols,
            _measure(c),
            sa.func.sum(_people(c)),
            sa.func.sum(sa.case((c.c.has_conflicts.is_(True), 1), else_=0)),
        ]

    stmt, _c, _i = named_select(scope, named_columns)
    n_cols = len(stmt.selected_columns) - 2
    stmt = stmt.group_by(*[sa.literal_column(str(k + 1)) for k in range(n_cols)])
    for row in db.session.execute(stmt):
        named[(*_key(dims, row[: n_cols - 1]), row[n_cols - 1])] += int(row[n_cols])
        in_conflict += int(row[n_cols + 1] or 0)

    incident: dict[tuple[Any, ...], int] = defaultdict(int)
    incident_high: dict[tuple[Any, ...], int] = defaultdict(int)
    event_dims = [d for d in dims if d in EVENT_DIMS]

    def incident_columns(i: Any, linked: Any) -> list[Any]:
        def event(name: str) -> Any:
            return i.c[name]

        cols = [col for d in event_dims for col in _dim_columns(d, event, i)]
        parts = [x for m in MEASURES for x in uncovered(i, linked, m)]
        return [
            *cols,
            *[sa.func.sum(p) for p in parts],
            sa.func.sum(sa.case((i.c.has_conflicts.is_(True), 1), else_=0)),
        ]

    stmt = incident_select(scope, incident_columns)
    n_ev = len(stmt.selected_columns) - 5
    if n_ev:
        stmt = stmt.group_by(*[sa.literal_column(str(k + 1)) for k in range(n_ev)])
    for row in db.session.execute(stmt):
        ev = dict(zip(event_dims, _key(event_dims, row[:n_ev]), strict=True))
        key = tuple(ev.get(d, UNKNOWN) for d in dims)
        sums = [int(v or 0) for v in row[n_ev : n_ev + 4]]
        in_conflict += int(row[n_ev + 4] or 0)
        for m, (low, high) in zip(MEASURES, (sums[0:2], sums[2:4]), strict=True):
            if low or high:
                incident[(*key, m)] += low
                incident_high[(*key, m)] += high
    return Figures(dict(named), dict(incident), dict(incident_high), in_conflict)
