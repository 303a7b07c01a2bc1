"""The casualty charts: per day and week by civilian status, and the breakdowns."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Place
from app.services.dashboard import casualties
from app.services.dashboard.scope import (
    IMPRECISE,
    NO_PLACE,
    UNKNOWN,
    Scope,
    child_under,
    day_of,
    week_of,
)
from app.services.dashboard.table import Table
from app.vocabularies import codes

STATUSES = codes("civilian_status")


def over_time(scope: Scope, period: str) -> Table:
    """Killed and injured per day or week, stacked by civilian status; incident figures
    not yet named apart, with their upper bound."""
    figs = casualties.figures(scope, ("date", "civilian_status"))
    bin_of = day_of if period == "day" else week_of
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (dates, status, measure), n in figs.named.items():
        cells[(bin_of(*dates), measure)][status] += n
    for (dates, _status, measure), n in figs.incident.items():
        cells[(bin_of(*dates), measure)]["incident"] += n
    for (dates, _status, measure), n in figs.incident_high.items():
        cells[(bin_of(*dates), measure)]["incident_high"] += n
    table = Table(
        [period, "measure", *STATUSES, "unknown_from_incidents", "total", "total_high"],
        series={
            **{s: {"civilian_status": s, "part": "named"} for s in STATUSES},
            "unknown_from_incidents": {"part": "incident"},
            "total": {},
            period: None,
            "measure": None,
            "total_high": None,
        },
        in_conflict=figs.in_conflict,
    )
    for (when, measure), c in sorted(cells.items(), key=lambda kv: (kv[0][0] == IMPRECISE, kv[0])):
        named = [c.get(s, 0) for s in STATUSES]
        total = sum(named) + c.get("incident", 0)
        high = sum(named) + c.get("incident_high", 0)
        table.add(
            [when, measure, *named, c.get("incident", 0), total, max(total, high)],
            {"measure": measure, period: when},
        )
    return table


def breakdown(scope: Scope, dims: tuple[str, ...]) -> Table:
    """Killed and injured by one or two person or event dimensions."""
    figs = casualties.figures(scope, dims)
    cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (*key, measure), n in figs.named.items():
        cells[tuple(key)][measure] += n
    for (*key, measure), n in figs.incident.items():
        cells[tuple(key)][measure] += n
        cells[tuple(key)][f"{measure}_from_incidents"] += n
    return _measure_table(
        list(dims), cells, figs.in_conflict, lambda key: dict(zip(dims, key, strict=True))
    )


def _measure_table(
    labels: list[str],
    cells: dict[tuple[Any, ...], dict[str, int]],
    in_conflict: int,
    drill_of: Any,
    names: dict[str, tuple[str, str]] | None = None,
) -> Table:
    measures = ["killed", "killed_from_incidents", "injured", "injured_from_incidents"]
    extra_labels = ["name_en", "name_ar"] if names is not None else []
    table = Table(
        [*labels, *extra_labels, *measures],
        series={
            **dict.fromkeys(labels + extra_labels),
            "killed": {"measure": "killed"},
            "killed_from_incidents": {"measure": "killed", "part": "incident"},
            "injured": {"measure": "injured"},
            "injured_from_incidents": {"measure": "injured", "part": "incident"},
        },
        in_conflict=in_conflict,
    )
    for key in sorted(cells, key=lambda k: tuple((str(v) == UNKNOWN, str(v)) for v in k)):
        c = cells[key]
        label_cells: list[Any] = list(key)
        if names is not None:
            label_cells += list(names.get(str(key[0]), ("", "")))
        table.add([*label_cells, *(c.get(m, 0) for m in measures)], drill_of(key))
    return table


def by_place(scope: Scope, parent_id: str | None) -> Table:
    """Killed and injured under each child of `parent_id` (top: governorates)."""
    parent = db.session.get(Place, parent_id) if parent_id else None
    if parent_id and parent is None:
        from app.api.errors import ApiError

        raise ApiError(422, "Unknown place.", fields={"parent": ["Unknown place."]})
    parent_path = parent.path if parent else "/"
    figs = casualties.figures(scope, ("place",))
    cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (path, measure), n in figs.named.items():
        child = child_under(path, parent_path)
        if child is not None:
            cells[(child,)][measure] += n
    for (path, measure), n in figs.incident.items():
        child = child_under(path, parent_path)
        if child is None:
            continue
        key = (child,)
        cells[key][measure] += n
        cells[key][f"{measure}_from_incidents"] += n
    ids = [k[0] for k in cells if k[0] != NO_PLACE]
    names = {
        pid: (en, ar)
        for pid, en, ar in db.session.execute(
            sa.select(Place.id, Place.name_en, Place.name_ar).where(Place.id.in_(ids))
        )
    }
    here = parent.id if parent else NO_PLACE

    def drill(key: tuple[Any, ...]) -> dict[str, str]:
        return {"place_at": here} if key[0] == NO_PLACE else {"place_in": key[0]}

    table = _measure_table(["place_id"], cells, figs.in_conflict, drill, names)
    table.extra["parent"] = parent.id if parent else None
    table.extra["parent_path"] = [a for a in parent_path.strip("/").split("/") if a]
    return table


__all__ = ["breakdown", "by_place", "over_time"]
