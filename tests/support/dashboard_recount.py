"""An independent recount of the dashboard's figures from the raw change log.

Reads every stored change, materialises the records with the sync core
(`sync.materialise`) and counts in plain Python by docs/counting.md. It shares no code
with `app/services/dashboard/`: a figure the two agree on was computed twice, two ways.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import ChangeRow, Place
from sync import Change, materialise

KILLED = {"killed", "died_of_wounds"}


class Rec:
    """A record as the recount sees it: values, team, and whether it counts."""

    def __init__(self, state: Any, team: str, paths: dict[str, str]) -> None:
        self.id = state.record_id
        self.kind = state.kind
        self.v = state.values
        self.team = team
        self.conflicted = bool(state.conflicts) or state.delete_conflict
        self.conflict_fields = set(state.conflicts)
        self.visible = (not state.deleted or state.delete_conflict) and state.merged_into is None
        self.path = paths.get(self.v.get("place_id") or "")
        when = self.v.get("occurred_date") or self.v.get("last_seen_date")
        self.start, self.end = bounds(when)

    def counts(self, teams: set[str]) -> bool:
        return (
            self.team in teams
            and self.visible
            and self.v.get("verification_status") != "discounted"
        )


def bounds(partial: Any) -> tuple[str | None, str | None]:
    if not partial:
        return None, None
    parts = partial.split("-")
    if len(parts) == 1:
        return f"{partial}-01-01", f"{partial}-12-31"
    if len(parts) == 2:
        last = calendar.monthrange(int(parts[0]), int(parts[1]))[1]
        return f"{partial}-01", f"{partial}-{last:02d}"
    return partial, partial


def day(start: str | None, end: str | None) -> str:
    return start if start and start == end else "imprecise"


def week(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "imprecise"
    s = date.fromisoformat(start)
    monday = s - timedelta(days=s.weekday())
    return monday.isoformat() if date.fromisoformat(end) <= monday + timedelta(6) else "imprecise"


def load() -> list[Rec]:
    """Every record, materialised from the stored changes."""
    rows = db.session.execute(sa.select(ChangeRow.body, ChangeRow.team_id)).all()
    team_of = {}
    changes = []
    for body, team in rows:
        change = Change.from_dict(json.loads(body))
        changes.append(change)
        team_of[change.record_id] = team
    paths = {p: path for p, path in db.session.execute(sa.select(Place.id, Place.path))}
    return [Rec(s, team_of[rid], paths) for rid, s in materialise(changes).items()]


def passes(rec: Rec, filters: dict[str, Any]) -> bool:
    """The filters of a request, on the record that says where, when, how sure."""
    if filters.get("date_from") and not (rec.end and rec.end >= filters["date_from"]):
        return False
    if filters.get("date_to") and not (rec.start and rec.start <= filters["date_to"]):
        return False
    if filters.get("place_path") and not (rec.path or "").startswith(filters["place_path"]):
        return False
    return not (
        filters.get("verification")
        and rec.v.get("verification_status") not in filters["verification"]
    )


def casualty_units(recs: list[Rec], teams: set[str], filters: dict[str, Any]) -> list[dict]:
    """Every counted unit of people: named casualty records and incident remainders.

    Each unit: measure, people, part, and the dimensions it counts under."""
    incidents = {r.id: r for r in recs if r.kind == "incident" and r.counts(teams)}
    units = []
    linked: dict[tuple[str, str], int] = defaultdict(int)
    for c in recs:
        if c.kind != "casualty" or not c.counts(teams):
            continue
        outcome = c.v.get("outcome")
        measure = "killed" if outcome in KILLED else "injured" if outcome == "injured" else None
        if measure is None:
            continue
        n = c.v.get("count") or 1
        inc = incidents.get(c.v.get("incident_id") or "")
        if inc is not None and inc.team != c.team:
            inc = None
        event = inc or c
        if inc is not None:
            linked[(inc.id, measure)] += n
        if not passes(event, filters):
            continue
        units.append(
            {
                "measure": measure,
                "n": n,
                "part": "named",
                "conflicted": c.conflicted,
                "start": event.start,
                "end": event.end,
                "path": event.path,
                "team_id": event.team,
                "verification_status": event.v.get("verification_status") or "reported",
                **{
                    d: c.v.get(d) or "unknown"
                    for d in ("cause", "sex", "age_group", "civilian_status")
                },
            }
        )
    for inc in incidents.values():
        if not passes(inc, filters):
            continue
        for measure in ("killed", "injured"):
            low = inc.v.get(f"{measure}_min") or 0
            high = inc.v.get(f"{measure}_max")
            high = low if high is None else high
            have = linked[(inc.id, measure)]
            rest, rest_high = max(0, low - have), max(0, high - have)
            if rest or rest_high:
                units.append(
                    {
                        "measure": measure,
                        "n": rest,
                        "high": rest_high,
                        "part": "incident",
                        "start": inc.start,
                        "end": inc.end,
                        "path": inc.path,
                        "team_id": inc.team,
                        "verification_status": inc.v.get("verification_status") or "reported",
                        "cause": "unknown",
                        "sex": "unknown",
                        "age_group": "unknown",
                        "civilian_status": "unknown",
                    }
                )
    return units


def fate_counted(rec: Rec) -> str:
    fate = rec.v.get("fate_status") or "unknown"
    shared = rec.v.get("family_notified") is True and not (
        {"fate_status", "family_notified"} & rec.conflict_fields
    )
    if fate in ("believed_dead", "confirmed_dead") and not shared:
        return "missing"
    return fate


def fate_week(rec: Rec) -> str:
    fate = rec.v.get("fate_status") or "unknown"
    if rec.v.get("fate_status_date") and fate_counted(rec) == fate:
        return week(*bounds(rec.v["fate_status_date"]))
    return week(rec.start, rec.end)
