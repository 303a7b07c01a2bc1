"""The coordinator dashboard: figures per chart, and the records behind each number.

`chart(principal, name, args)` answers one chart as a `Table` plus its metadata;
`records_behind(principal, name, args, params)` lists what one of its numbers counted.
The counting rule is docs/counting.md. Views never count: they call these two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.db_types import utcnow
from app.extensions import db
from app.models import Record
from app.security.principal import Principal
from app.services.dashboard import casualty_charts, drill, health, people_needs
from app.services.dashboard.scope import Scope, scope_for
from app.services.dashboard.table import Table

__all__ = ["CHARTS", "Chart", "Table", "chart", "records_behind"]


@dataclass(frozen=True)
class Chart:
    """One chart: its group, how to compute it, and which records its numbers drill to."""

    group: str
    compute: Callable[[Scope, dict[str, Any]], Table]
    # "casualty" drills with the casualty rule; otherwise the record kind (None: any).
    drills: str | None
    extra: Callable[[Any], list[Any]] | None = None


def _open(r: Any) -> list[Any]:
    return [r.c.status.in_(people_needs.OPEN)]


CHARTS: dict[str, Chart] = {
    "casualties_by_day": Chart(
        "casualties", lambda s, a: casualty_charts.over_time(s, "day"), "casualty"
    ),
    "casualties_by_week": Chart(
        "casualties", lambda s, a: casualty_charts.over_time(s, "week"), "casualty"
    ),
    "casualties_by_place": Chart(
        "casualties", lambda s, a: casualty_charts.by_place(s, a.get("parent")), "casualty"
    ),
    "casualties_by_cause": Chart(
        "casualties", lambda s, a: casualty_charts.breakdown(s, ("cause",)), "casualty"
    ),
    "casualties_by_sex_age": Chart(
        "casualties",
        lambda s, a: casualty_charts.breakdown(s, ("sex", "age_group")),
        "casualty",
    ),
    "casualties_by_civilian_status": Chart(
        "casualties",
        lambda s, a: casualty_charts.breakdown(s, ("civilian_status",)),
        "casualty",
    ),
    "casualties_by_verification": Chart(
        "casualties",
        lambda s, a: casualty_charts.breakdown(s, ("verification_status",)),
        "casualty",
    ),
    "missing_by_type": Chart(
        "missing", lambda s, a: people_needs.missing_by_type(s), "missing_person"
    ),
    "missing_fate": Chart("missing", lambda s, a: people_needs.missing_fate(s), "missing_person"),
    "supply_open": Chart("supply", lambda s, a: people_needs.supply_open(s), "supply_need", _open),
    "supply_by_site_type": Chart(
        "supply", lambda s, a: people_needs.supply_by_site_type(s), "supply_need", _open
    ),
    "supply_quantities": Chart(
        "supply", lambda s, a: people_needs.supply_quantities(s), "supply_need", _open
    ),
    "supply_oldest_critical": Chart(
        "supply",
        lambda s, a: people_needs.supply_oldest_critical(s),
        "supply_need",
        lambda r: [*_open(r), r.c.priority == "critical"],
    ),
    "health_records_by_team": Chart("health", lambda s, a: health.records_by_team(s), None),
    "health_records_by_device": Chart("health", lambda s, a: health.records_by_device(s), None),
    "health_sync": Chart("health", lambda s, a: health.sync_status(s), None),
    "health_waiting": Chart("health", lambda s, a: health.waiting(s), None),
}


def _chart(name: str) -> Chart:
    found = CHARTS.get(name)
    if found is None:
        raise ApiError(404, f"No chart {name!r}.", extra={"charts": sorted(CHARTS)})
    return found


def chart(principal: Principal, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """One chart's figures for the caller's teams under the filters, as JSON-ready data."""
    spec = _chart(name)
    scope = scope_for(principal, args)
    table = spec.compute(scope, args)
    return {
        "chart": name,
        "group": spec.group,
        "computed_at": utcnow().isoformat(),
        "teams": list(scope.teams),
        "filters": scope.filters,
        **table.as_json(),
    }


def records_behind(
    principal: Principal, name: str, args: dict[str, Any], params: dict[str, str]
) -> tuple[list[tuple[Record, int]], int]:
    """One page of the records one number of a chart counted, with what each added;
    and the total number of records."""
    spec = _chart(name)
    scope = scope_for(principal, args)
    if spec.drills == "casualty":
        found = drill.casualty_records(scope, params)
    else:
        found = drill.other_records(scope, spec.drills, params, spec.extra)
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    window = found[(page - 1) * per_page : page * per_page]
    ids = [i for i, _ in window]
    rows = {r.id: r for r in db.session.scalars(sa.select(Record).where(Record.id.in_(ids)))}
    return [(rows[i], n) for i, n in window if i in rows], len(found)
