"""The records behind a number: the same clauses as the figure, returning ids.

A drill-down takes the cell's parameters (`Table.drill[row]` + `Table.series[column]`)
and lists exactly the records the figure counted, each with how many people (or lines)
it contributed, so that the listed contributions add up to the number clicked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.extensions import db
from app.models import Place
from app.services.dashboard import casualties
from app.services.dashboard.health import WEB, team_origins
from app.services.dashboard.people_needs import counted_fate, fate_week
from app.services.dashboard.scope import (
    IMPRECISE,
    NO_PLACE,
    UNKNOWN,
    Scope,
    child_under,
    day_of,
    records_table,
    week_of,
)

Contribution = tuple[str, int]  # (record id, people or lines counted from it)


def _period_sql(get: Any, params: dict[str, str]) -> list[Any]:
    """SQL narrowing for a precise day or week (the exact test runs in Python after)."""
    where = []
    day, week = params.get("day"), params.get("week")
    if day and day != IMPRECISE:
        where += [get("occurred_start") == day, get("occurred_end") == day]
    if week and week != IMPRECISE:
        try:
            monday = date.fromisoformat(week)
        except ValueError:
            raise ApiError(422, "Not a week.", fields={"week": ["Not a date."]}) from None
        end = (monday + timedelta(days=6)).isoformat()
        where += [get("occurred_start") >= week, get("occurred_end") <= end]
    return where


def _place(params: dict[str, str]) -> tuple[str | None, str | None]:
    """(path prefix to keep, parent path whose own level is asked) from the parameters."""
    inside, at = params.get("place_in"), params.get("place_at")
    if inside:
        place = db.session.get(Place, inside)
        if place is None:
            raise ApiError(422, "Unknown place.", fields={"place_in": ["Unknown place."]})
        return place.path, None
    if at:
        if at == NO_PLACE:
            return None, "/"
        place = db.session.get(Place, at)
        if place is None:
            raise ApiError(422, "Unknown place.", fields={"place_at": ["Unknown place."]})
        return None, place.path
    return None, None


def _keep(params: dict[str, str], start: Any, end: Any, path: Any, at_path: str | None) -> bool:
    if "day" in params and day_of(start, end) != params["day"]:
        return False
    if "week" in params and week_of(start, end) != params["week"]:
        return False
    return not (at_path is not None and child_under(path, at_path) != NO_PLACE)


def casualty_records(scope: Scope, params: dict[str, str]) -> list[Contribution]:
    """Casualty records and incidents behind a casualty figure, with what each adds."""
    measure = params.get("measure")
    if measure not in casualties.MEASURES:
        raise ApiError(422, "Say which measure.", fields={"measure": ["killed or injured."]})
    part = params.get("part")
    inside, at_path = _place(params)
    out: list[Contribution] = []
    if part in (None, "named"):

        def cols(c: Any) -> list[Any]:
            ev = casualties._event(c)
            return [
                c.c.id,
                ev("occurred_start"),
                ev("occurred_end"),
                ev("place_path"),
                casualties._people(c),
            ]

        stmt, c = casualties.named_select(scope, cols)
        ev = casualties._event(c)
        stmt = stmt.where(casualties._measure(c) == measure, *_period_sql(ev, params))
        for dim in casualties.PERSON_DIMS:
            if dim in params:
                stmt = stmt.where(sa.func.coalesce(c.c[dim], UNKNOWN) == params[dim])
        if "team_id" in params:
            stmt = stmt.where(ev("team_id") == params["team_id"])
        if "verification_status" in params:
            stmt = stmt.where(
                sa.func.coalesce(ev("verification_status"), "reported")
                == params["verification_status"]
            )
        if inside:
            stmt = stmt.where(ev("place_path").startswith(inside, autoescape=True))
        for rid, start, end, path, n in db.session.execute(stmt.order_by(c.c.id)):
            if _keep(params, start, end, path, at_path):
                out.append((rid, int(n)))
    person_known = any(params.get(d, UNKNOWN) != UNKNOWN for d in casualties.PERSON_DIMS)
    if part in (None, "incident") and not person_known:

        def icols(i: Any, linked: Any) -> list[Any]:
            low, _high = casualties.uncovered(i, linked, measure)
            return [i.c.id, i.c.occurred_start, i.c.occurred_end, i.c.place_path, low]

        stmt = casualties.incident_select(scope, icols)
        i = stmt.selected_columns[0].table
        get = i.c.__getitem__
        stmt = stmt.where(*_period_sql(get, params))
        if "team_id" in params:
            stmt = stmt.where(i.c.team_id == params["team_id"])
        if "verification_status" in params:
            stmt = stmt.where(
                sa.func.coalesce(i.c.verification_status, "reported")
                == params["verification_status"]
            )
        if inside:
            stmt = stmt.where(i.c.place_path.startswith(inside, autoescape=True))
        for rid, start, end, path, low in db.session.execute(stmt.order_by(i.c.id)):
            if int(low or 0) > 0 and _keep(params, start, end, path, at_path):
                out.append((rid, int(low)))
    return out


# Parameters that are plain columns of the records cache (and the column they name).
PLAIN = {
    "disappearance_type": "disappearance_type",
    "priority": "priority",
    "item_category": "item_category",
    "site_type": "site_type",
    "unit": "unit",
    "record_id": "id",
    "team_id": "team_id",
    "kind": "kind",
}


def other_records(
    scope: Scope,
    kind: str | None,
    params: dict[str, str],
    extra: Callable[[Any], list[Any]] | None = None,
) -> list[Contribution]:
    """Records of a missing-person, supply or data-health figure (one each)."""
    r = records_table()
    where: list[Any] = [scope.counted(r), r.c.kind != "", *scope.filtered(r)]
    if extra is not None:
        where += extra(r)
    if kind:
        where.append(r.c.kind == kind)
    for name, column in PLAIN.items():
        if name in params:
            value = params[name]
            col = r.c[column]
            where.append(
                sa.func.coalesce(col, UNKNOWN) == value
                if name not in ("unit",)
                else sa.func.coalesce(col, "") == value
            )
    if params.get("has_conflicts") == "true":
        where.append(r.c.has_conflicts.is_(True))
    if params.get("needs_review") == "true":
        where.append(r.c.needs_review.is_(True))
    if "origin" in params and params["origin"] != WEB:
        where.append(r.c.created_origin == params["origin"])
    elif "origin" in params:
        where.append(r.c.created_origin.not_in(team_origins(scope)))
    where += _period_sql(lambda n: r.c[n], params if "fate" not in params else {})
    stmt = sa.select(
        r.c.id,
        r.c.occurred_start,
        r.c.occurred_end,
        r.c.fate_status,
        r.c.family_notified,
        r.c.fate_date,
    ).where(*where)
    out: list[Contribution] = []
    for rid, start, end, fate, notified, fate_date in db.session.execute(stmt.order_by(r.c.id)):
        if "fate" in params:
            if counted_fate(fate, bool(notified)) != params["fate"]:
                continue
            if (
                "week" in params
                and fate_week(fate, bool(notified), fate_date, start, end) != (params["week"])
            ):
                continue
        elif "week" in params and week_of(start, end) != params["week"]:
            continue
        out.append((rid, 1))
    return out
