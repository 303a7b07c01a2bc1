"""The public profile: counts by area × month with small cells suppressed.

Counts only, never a record: killed and injured persons (a casualty record's `count`),
missing/detained persons, incidents and need lines, per district (or governorate) and
calendar month. A record whose date is vaguer than a month counts under an "unknown"
period, one without a district under an "unknown" area, so the totals stay totals.

**Suppression** (standards.md §4.3): every cell of each measure's table, margins (area
totals, month totals, grand total) included, whose count is 1 to k-1 is withheld
(primary suppression; zero is shown). Then secondary suppression: think of the table as
a graph whose nodes are its rows and columns (the total row and total column included)
and whose edges are the withheld cells. Every row and column is a sum constraint, so a
withheld cell can be worked out from the published figures exactly when its edge is a
*bridge* (lies on no cycle of withheld cells). While a bridge remains, the cheapest
rectangle through it (three more cells, least total count) is withheld too. The result:
no withheld cell is determined by the published totals. Interval (bounds) attacks and
differencing across several exports with different filters are not audited here; keep
k ≥ 5 for that reason.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any

from app.exports.places import PlaceIndex
from app.vocabularies import KILLED_OUTCOMES

__all__ = ["MEASURES", "TOTAL", "aggregate_rows", "recoverable", "suppress"]

TOTAL = "__total__"
UNKNOWN = "__unknown__"
MEASURES: dict[str, tuple[str, ...]] = {
    "casualty": ("killed", "injured"),
    "missing_person": ("missing",),
    "incident": ("incidents",),
    "supply_need": ("need_lines",),
}

Cell = tuple[Hashable, Hashable]


def _measure(row: Any) -> tuple[str, int] | None:
    if row.kind == "casualty":
        outcome = row.values.get("outcome")
        count = row.values.get("count")
        n = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1
        if outcome in KILLED_OUTCOMES:
            return "killed", n
        if outcome == "injured":
            return "injured", n
        return None
    measure = MEASURES.get(row.kind)
    return (measure[0], 1) if measure else None


def _month(row: Any) -> str:
    start, end = row.occurred_start, row.occurred_end
    if start and end and start[:7] == end[:7]:
        return start[:7]
    return UNKNOWN


# --- suppression -----------------------------------------------------------------------


def _bridges(hidden: set[Cell]) -> list[Cell]:
    """Withheld cells that lie on no cycle of withheld cells (rows and columns as nodes)."""
    adjacency: dict[Any, set[Any]] = defaultdict(set)
    for r, c in hidden:
        adjacency[("r", r)].add(("c", c))
        adjacency[("c", c)].add(("r", r))
    found = []
    for r, c in sorted(hidden, key=repr):
        start, goal = ("r", r), ("c", c)
        seen = {start}
        stack = [start]
        connected = False
        while stack and not connected:
            node = stack.pop()
            for nxt in adjacency[node]:
                if node == start and nxt == goal:
                    continue  # the edge itself
                if nxt == goal:
                    connected = True
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        if not connected:
            found.append((r, c))
    return found


def recoverable(hidden: set[Cell]) -> list[Cell]:
    """The withheld cells that the published figures determine (should be none)."""
    return _bridges(hidden)


def suppress(
    cells: dict[Cell, int], rows: Sequence[Hashable], cols: Sequence[Hashable], k: int
) -> tuple[dict[Cell, int], set[Cell]]:
    """The table with margins, and the cells to withhold (primary and secondary)."""
    full: dict[Cell, int] = {}
    for r in rows:
        for c in cols:
            full[(r, c)] = cells.get((r, c), 0)
        full[(r, TOTAL)] = sum(full[(r, c)] for c in cols)
    for c in cols:
        full[(TOTAL, c)] = sum(full[(r, c)] for r in rows)
    full[(TOTAL, TOTAL)] = sum(full[(TOTAL, c)] for c in cols)
    hidden = {cell for cell, value in full.items() if 0 < value < k}
    all_rows = [*rows, TOTAL]
    all_cols = [*cols, TOTAL]

    def usable(cell: Cell) -> bool:
        # A zero in a line whose total is zero is known to be zero: no cover at all.
        if full[cell] > 0:
            return True
        r, c = cell
        return full[(r, TOTAL)] > 0 and full[(TOTAL, c)] > 0

    while True:
        bridges = _bridges(hidden)
        if not bridges:
            return full, hidden
        r, c = bridges[0]
        best: tuple[tuple[int, int], list[Cell]] | None = None
        for r2 in all_rows:
            if r2 == r:
                continue
            for c2 in all_cols:
                if c2 == c:
                    continue
                new = [x for x in ((r, c2), (r2, c), (r2, c2)) if x not in hidden]
                if not all(usable(x) for x in new):
                    continue
                cost = (sum(full[x] for x in new), len(new))
                if best is None or cost < best[0]:
                    best = (cost, new)
        if best is None:
            # No cover exists (a degenerate table): withhold the whole table.
            return full, set(full)
        hidden.update(best[1])


# --- the public table ------------------------------------------------------------------


def aggregate_rows(
    rows: Iterable[Any],
    places: PlaceIndex,
    kinds: Sequence[str],
    *,
    level: str,
    k: int,
) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and rows of the public table (counts are computed before the first row)."""
    measures = [m for kind in kinds for m in MEASURES[kind]]
    counts: dict[str, dict[Cell, int]] = {m: defaultdict(int) for m in measures}
    areas: set[Hashable] = set()
    months: set[Hashable] = set()
    for row in rows:
        found = _measure(row)
        if found is None or found[0] not in counts:
            continue
        area = places.district(row.place_id, level) or UNKNOWN
        month = _month(row)
        areas.add(area)
        months.add(month)
        counts[found[0]][(area, month)] += found[1]
    area_list = sorted(areas, key=lambda a: (a == UNKNOWN, _area_sort(places, a)))
    month_list = sorted(months, key=lambda m: (m == UNKNOWN, m))
    tables = {m: suppress(counts[m], area_list, month_list, k) for m in measures}
    adm = ("adm1_code", "adm1_name", "adm1_name_ar")
    if level == "district":
        adm = (*adm, "adm2_code", "adm2_name", "adm2_name_ar")
    headers = ["row_type", *adm, "date_start", "date_end", *measures, "suppressed"]
    known = [m for m in month_list if m != UNKNOWN]
    whole = (_bounds(known[0])[0], _bounds(known[-1])[1]) if known else (None, None)

    def out() -> Iterator[list[Any]]:
        for area in [*area_list, TOTAL]:
            for month in [*month_list, TOTAL]:
                row_type = (
                    "grand_total"
                    if area == TOTAL and month == TOTAL
                    else "area_total"
                    if month == TOTAL
                    else "period_total"
                    if area == TOTAL
                    else "cell"
                )
                place = _adm_cells(places, area, level)
                start, end = whole if month == TOTAL else _bounds(month)
                values, withheld = [], []
                for m in measures:
                    full, hidden = tables[m]
                    if (area, month) in hidden:
                        values.append(None)
                        withheld.append(m)
                    else:
                        values.append(full[(area, month)])
                yield [row_type, *place, start, end, *values, ";".join(withheld) or None]

    return headers, out()


def _area_sort(places: PlaceIndex, area: Hashable) -> str:
    place = places.places.get(str(area))
    return (place[1] or place[2]) if place else ""


def _adm_cells(places: PlaceIndex, area: Hashable, level: str) -> list[Any]:
    width = 6 if level == "district" else 3
    if area in (TOTAL, UNKNOWN):
        return [None] * width
    return list(places.adm(str(area))[:width])


def _bounds(month: Hashable) -> tuple[str | None, str | None]:
    if month in (UNKNOWN, TOTAL) or not isinstance(month, str):
        return None, None
    year, mon = int(month[:4]), int(month[5:7])
    return f"{month}-01", f"{month}-{calendar.monthrange(year, mon)[1]:02d}"
