"""What a dashboard request may count: the caller's teams and the filters.

Every chart applies the same `Scope`; `counted` and `filtered` are the two clauses the
counting rule (docs/counting.md) is built from. This module never counts anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.extensions import db
from app.models import Place, Record
from app.security.principal import Principal

UNKNOWN = "unknown"
IMPRECISE = "imprecise"  # a date vaguer than the chart's period
NO_PLACE = "none"  # no place, or placed at the shown level itself


@dataclass(frozen=True)
class Scope:
    """The teams a chart counts and the filters every chart applies."""

    teams: tuple[str, ...]
    date_from: date | None = None
    date_to: date | None = None
    place: Place | None = None
    verification: tuple[str, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)

    def counted(self, r: Any) -> sa.ColumnElement[bool]:
        """`r` counts at all: a team of the scope, visible, not discounted."""
        return sa.and_(
            r.c.team_id.in_(self.teams),
            r.c.visible.is_(True),
            sa.func.coalesce(r.c.verification_status, "") != "discounted",
        )

    def filtered(self, col: Any) -> list[sa.ColumnElement[bool]]:
        """The filters, on the record that says where, when and how sure.

        `col` is a table alias, or a function from a column name to the expression to
        filter (a linked casualty is filtered on its incident's columns)."""
        get = col if callable(col) else (lambda name: col.c[name])
        where: list[sa.ColumnElement[bool]] = []
        if self.date_from:
            where.append(get("occurred_end") >= self.date_from.isoformat())
        if self.date_to:
            where.append(get("occurred_start") <= self.date_to.isoformat())
        if self.place is not None:
            where.append(get("place_path").startswith(self.place.path, autoescape=True))
        if self.verification:
            where.append(get("verification_status").in_(self.verification))
        return where


def scope_for(principal: Principal, args: dict[str, Any]) -> Scope:
    """The scope of a request: the teams the caller coordinates (or the one asked for)."""
    coordinated = principal.team_ids("coordinator")
    if not coordinated:
        raise ApiError(403, "Only a team's coordinators see its dashboard.", "forbidden")
    team = args.get("team_id")
    if team is not None and team not in coordinated:
        raise ApiError(403, "You do not coordinate this team.", "forbidden")
    teams = (team,) if team else tuple(sorted(coordinated))
    place = None
    if args.get("place"):
        place = db.session.get(Place, args["place"]) or db.session.scalar(
            sa.select(Place).where(Place.pcode == str(args["place"]).strip().upper())
        )
        if place is None:
            raise ApiError(422, "Unknown place.", fields={"place": ["Unknown place."]})
    date_from, date_to = args.get("date_from"), args.get("date_to")
    if date_from and date_to and date_from > date_to:
        raise ApiError(
            422, "The range ends before it starts.", fields={"date_to": ["Before date_from."]}
        )
    filters = {
        "team_id": team,
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "place": place.id if place else None,
        "verification": list(args.get("verification") or []),
    }
    return Scope(
        teams=teams,
        date_from=date_from,
        date_to=date_to,
        place=place,
        verification=tuple(args.get("verification") or ()),
        filters=filters,
    )


def day_of(start: str | None, end: str | None) -> str:
    """The day a date range counts on, or IMPRECISE when it is not one day."""
    return start if start and start == end else IMPRECISE


def week_of(start: str | None, end: str | None) -> str:
    """The Monday of the ISO week holding the whole range, or IMPRECISE."""
    if not start or not end:
        return IMPRECISE
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    monday = first - timedelta(days=first.weekday())
    if last - monday > timedelta(days=6):
        return IMPRECISE
    return monday.isoformat()


def child_under(path: str | None, parent_path: str) -> str | None:
    """The id of the child of `parent_path` ("/" = top) that holds `path`; NO_PLACE for
    no place (at the top) or the parent itself; None for a place outside the parent."""
    if not path:
        return NO_PLACE if parent_path == "/" else None
    if not path.startswith(parent_path):
        return None
    rest = path[len(parent_path) :].strip("/")
    return rest.split("/", 1)[0] if rest else NO_PLACE


def conflicted(r: Any) -> Any:
    """SUM over `r`'s rows of 1 for a record with open conflicts (the charts' in_conflict)."""
    return sa.func.sum(sa.cast(r.c.has_conflicts, sa.Integer))


def records_table() -> Any:
    """A fresh alias of the records table (the queries join it to itself)."""
    return Record.__table__.alias()
