"""Killed and injured, counted once (docs/counting.md).

The figures come from two plain grouped queries, each one covering-index scan:
- **named**: every counting casualty record, grouped by the asked dimensions, where a
  linked casualty takes its incident's date, place and verification: the change path
  copies them onto the casualty's row (`event_*`, app/services/incident_links.py), so
  no casualty is joined to its incident;
- **incident**: every counting incident with the people of its linked casualties (kept
  on its row, `linked_killed` / `linked_injured`), giving the part of its figure not
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
from app.vocabularies import KILLED_OUTCOMES

MEASURES = ("killed", "injured")
PERSON_DIMS = ("cause", "sex", "age_group", "civilian_status")
EVENT_DIMS = ("date", "place", "team_id", "verification_status")


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
        (c.c.outcome.in_(KILLED_OUTCOMES), sa.literal("killed")),
        (c.c.outcome == "injured", sa.literal("injured")),
        else_=sa.null(),
    )


# The event column a casualty is counted under, by the name of the record's own column.
EVENT_OF = {
    "occurred_start": "event_start",
    "occurred_end": "event_end",
    "place_path": "event_place_path",
    "verification_status": "event_verification_status",
    "team_id": "team_id",  # a link counts only within a team
}


def _event(c: Any) -> Callable[[str], Any]:
    """The column that says where/when/how sure: the incident's copy for a linked
    casualty, its own otherwise (one column either way)."""
    return lambda name: c.c[EVENT_OF[name]]


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


def named_select(scope: Scope, columns: Callable[[Any], Iterable[Any]]) -> tuple[Any, Any]:
    """SELECT columns(c) FROM counting casualties, filtered on their event columns; (stmt, c)."""
    c = records_table()
    stmt = sa.select(*columns(c)).where(
        c.c.kind == "casualty",
        scope.counted(c),
        c.c.outcome.in_((*KILLED_OUTCOMES, "injured")),
        *scope.filtered(_event(c)),
    )
    return stmt, c


def linked_people(i: Any) -> dict[str, Any]:
    """People in an incident's counting linked casualty records, killed and injured (kept
    on the incident's row by the change path)."""
    return {"killed": i.c.linked_killed, "injured": i.c.linked_injured}


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
    return sa.select(*columns(i, linked_people(i))).where(
        i.c.kind == "incident", scope.counted(i), *scope.filtered(i)
    )


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

    Two plain queries, each one covering-index scan grouped by plain columns: named
    casualties (grouped by their event columns: their incident's when linked), and
    counting incidents with their linked sums."""
    named: dict[tuple[Any, ...], int] = defaultdict(int)
    in_conflict = 0
    n_cols = sum(2 if d == "date" else 1 for d in dims)
    group = [sa.literal_column(str(k + 1)) for k in range(n_cols + 1)]

    def cols(c: Any) -> list[Any]:
        return [
            *(col for d in dims for col in _raw_columns(d, _event(c), c)),
            _measure(c),  # killed or injured: grouped in SQL, not per outcome
            sa.func.sum(_people(c)),
            conflicted(c),
        ]

    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL guesses ~20x the groups of (start, end, status, measure) (the date
        # columns are correlated) and, within the default 4 MB, sorts a team's ~300,000
        # index entries on disk instead of hashing ~5,000 groups (0.55 s -> 0.31 s at a
        # million records). For this transaction only.
        db.session.execute(sa.text("SET LOCAL work_mem = '32MB'"))
    stmt, _c = named_select(scope, cols)
    for row in db.session.execute(stmt.group_by(*group)):
        key = _clean(dims, _key(dims, row[:n_cols]))
        named[(*key, row[n_cols])] += int(row[n_cols + 1])
        in_conflict += int(row[n_cols + 2] or 0)

    incident: dict[tuple[Any, ...], int] = defaultdict(int)
    incident_high: dict[tuple[Any, ...], int] = defaultdict(int)
    event_dims = [d for d in dims if d in EVENT_DIMS]
    # COALESCE(x, NULL) is x, but an expression: grouped by a bare date or place column,
    # SQLite would walk that column's index (`ix_records_team_kind_occurred`,
    # `ix_records_place_path`: not covering) for its order and read every incident's
    # row; grouped by expressions it reads the covering `ix_records_dash_other`.

    def icols(i: Any, linked: Any) -> list[Any]:
        ev = [sa.func.coalesce(col, sa.null()) for d in event_dims for col in _raw_columns(d, i, i)]
        parts = [sa.func.sum(part) for m in MEASURES for part in uncovered(i, linked, m)]
        return [*ev, *parts, conflicted(i)]

    n_ev = sum(2 if d == "date" else 1 for d in event_dims)
    # The incident part grouped in SQL (one row per group of event columns, not one per
    # incident), its linked sums read from its own row.
    stmt = incident_select(scope, icols)
    if n_ev:
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
