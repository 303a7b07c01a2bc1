"""Typed, indexed copies of a record's values, and its name-search tokens.

The records table keeps the sync core's state as JSON; lists, filters, dashboards and
exports query these columns instead, so a million records need no JSON scan.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import NameToken, Place
from app.services import bulk_sql
from app.text.names import name_tokens
from sync import RecordState

# Values copied as they are into a column of the same name.
PLAIN_COLUMNS = (
    "place_id",
    "incident_id",
    "outcome",
    "cause",
    "sex",
    "age_group",
    "civilian_status",
    "disappearance_type",
    "fate_status",
    "event_type",
    "priority",
    "status",
    "item_category",
    "verification_status",
    "assigned_to",
)
# Whole numbers copied as they are (incident ranges, need quantities).
RANGE_COLUMNS = (
    "killed_min",
    "killed_max",
    "injured_min",
    "injured_max",
    "quantity_needed",
    "quantity_committed",
    "quantity_delivered",
)
NAME_FIELDS = (
    "full_name",
    "full_name_latin",
    "given_name",
    "father_name",
    "family_name",
    "mother_name",
)
PERSON_KINDS = ("casualty", "missing_person")


def date_bounds(partial: Any) -> tuple[str | None, str | None]:
    """First and last day a partial date (YYYY, YYYY-MM or YYYY-MM-DD) can mean."""
    if not isinstance(partial, str) or not partial:
        return None, None
    parts = partial.split("-")
    try:
        if len(parts) == 1:
            return f"{parts[0]}-01-01", f"{parts[0]}-12-31"
        if len(parts) == 2:
            last = calendar.monthrange(int(parts[0]), int(parts[1]))[1]
            return f"{partial}-01", f"{partial}-{last:02d}"
    except ValueError:
        return None, None
    return partial, partial


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any, size: int) -> str | None:
    return value[:size] if isinstance(value, str) and value else None


def place_paths(states: Iterable[RecordState]) -> dict[str, str | None]:
    """The gazetteer path of every place the states name, in one query per 500 places."""
    ids = sorted(
        {p for s in states if (p := _str_or_none(s.values.get("place_id"), 128)) is not None}
    )
    paths: dict[str, str | None] = dict.fromkeys(ids)
    for i in range(0, len(ids), 500):
        paths.update(
            db.session.execute(
                sa.select(Place.id, Place.path).where(Place.id.in_(ids[i : i + 500]))
            ).all()
        )
    return paths


def record_columns(
    state: RecordState, paths: Mapping[str, str | None] | None = None
) -> dict[str, Any]:
    """The typed column values of a materialised record (`paths`: from `place_paths`)."""
    values = state.values
    columns: dict[str, Any] = {name: _str_or_none(values.get(name), 128) for name in PLAIN_COLUMNS}
    when = (
        values.get("occurred_date") or values.get("last_seen_date") or values.get("date_of_death")
    )
    columns["occurred_start"], columns["occurred_end"] = date_bounds(when)
    columns["count"] = _int_or_none(values.get("count"))
    columns["sensitivity"] = _str_or_none(values.get("sensitivity"), 30) or "restricted"
    columns["place_path"] = None
    if columns["place_id"] and paths is not None:
        columns["place_path"] = paths.get(columns["place_id"])
    elif columns["place_id"]:
        columns["place_path"] = db.session.scalar(
            sa.select(Place.path).where(Place.id == columns["place_id"])
        )
    for name in RANGE_COLUMNS:
        columns[name] = _int_or_none(values.get(name))
    columns["unit"] = _str_or_none(values.get("unit"), 60)
    columns["site_type"] = _str_or_none(values.get("requesting_site_type"), 40)
    columns["fate_date"] = _str_or_none(values.get("fate_status_date"), 10)
    columns["family_notified"] = values.get("family_notified") is True and not (
        {"family_notified", "fate_status"} & set(state.conflicts)
    )
    columns["deleted"] = state.deleted
    columns["visible"] = state.visible and state.merged_into is None
    columns["has_conflicts"] = bool(state.conflicts) or state.delete_conflict
    columns["needs_review"] = state.needs_review
    columns["merged_into"] = state.merged_into
    return columns


def record_name_tokens(state: RecordState) -> set[str]:
    """Every normalised token of the person's names (empty for other kinds)."""
    if state.kind not in PERSON_KINDS or state.purged:
        return set()
    values = state.values
    texts = [values.get(f) for f in NAME_FIELDS]
    # Every candidate of a name in conflict is searchable, not only the provisional winner:
    # a coordinator must find the record by either spelling.
    texts += [c.value for f in NAME_FIELDS for c in state.conflicts.get(f, [])]
    texts += [
        e.get("value") if isinstance(e, dict) else e for e in values.get("alternate_names") or []
    ]
    tokens: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            tokens.update(t[:100] for t in name_tokens(text))
    return tokens


def write_name_tokens(record_id: str, state: RecordState) -> None:
    """Replace a record's name tokens with those of its current state."""
    db.session.execute(sa.delete(NameToken).where(NameToken.record_id == record_id))
    tokens = record_name_tokens(state)
    if tokens:
        db.session.execute(
            sa.insert(NameToken), [{"record_id": record_id, "token": t} for t in sorted(tokens)]
        )


def replace_name_tokens(states: Mapping[str, RecordState]) -> None:
    """Replace the name tokens of many records: one delete per 500 ids, one insert."""
    ids = sorted(states)
    for i in range(0, len(ids), 500):
        db.session.execute(sa.delete(NameToken).where(NameToken.record_id.in_(ids[i : i + 500])))
    rows = [
        {"record_id": rid, "token": t}
        for rid in ids
        for t in sorted(record_name_tokens(states[rid]))
    ]
    if rows:
        # The table, not the model: an ORM bulk insert costs several times more per row.
        bulk_sql.insert_many(NameToken.__table__, rows)
