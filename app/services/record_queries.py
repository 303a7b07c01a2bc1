"""Reading records: the filtered, paginated list and name search.

Filters use the typed, indexed columns of the records cache; name search uses the
normalised name-token table (a prefix range per query token, intersected), never a scan
of the records.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from app.api.errors import ApiError
from app.extensions import db
from app.models import NameToken, Place, Record
from app.security.principal import Principal
from app.services.access import readable_clause
from app.text.names import query_tokens

EQUALITY_FILTERS = (
    "kind",
    "team_id",
    "verification_status",
    "outcome",
    "cause",
    "sex",
    "age_group",
    "civilian_status",
    "fate_status",
    "disappearance_type",
    "priority",
    "status",
    "sensitivity",
    "incident_id",
    "has_conflicts",
    "needs_review",
)
# Above every character a normalised token can hold: the top of a prefix range.
PREFIX_END = "\U0010ffff"


def name_match(q: str) -> sa.ColumnElement[bool] | None:
    """A clause matching records whose names contain every token of `q` as a prefix."""
    clauses = []
    for token in query_tokens(q)[:8]:
        clauses.append(
            Record.id.in_(
                sa.select(NameToken.record_id).where(
                    NameToken.token >= token, NameToken.token < token + PREFIX_END
                )
            )
        )
    return sa.and_(*clauses) if clauses else None


class _MatchesFirst(Join):
    """`name_match JOIN records` that SQLite must run in that order (as a CROSS JOIN).

    Without statistics SQLite's planner guesses that `team_id IN (...)` is selective and,
    for the ORDER BY ... LIMIT page query, walked every record of the caller's teams
    probing the matches (18 s at a million records for a rare name, against 0.2 s the
    other way round). CROSS JOIN is SQLite's documented way to fix the join order.
    """

    inherit_cache = True


@compiles(_MatchesFirst)
def _matches_first(join: _MatchesFirst, compiler: Any, **kw: Any) -> str:
    return str(compiler.visit_join(join, **kw))


@compiles(_MatchesFirst, "sqlite")
def _matches_first_sqlite(join: _MatchesFirst, compiler: Any, **kw: Any) -> str:
    text = str(compiler.visit_join(join, **kw))
    marker = ") AS name_match JOIN "
    assert marker in text, text
    return text.replace(marker, ") AS name_match CROSS JOIN ", 1)


def name_match_ids(q: str) -> sa.Subquery | None:
    """The ids of records matching `q` as `name_match` does, as a subquery to join.

    Each query token's prefix range on the token index, intersected (distinct ids). A
    list joins records to it, so the database starts from the token index and looks the
    few matching records up by id; with `name_match` in WHERE, SQLite instead walked
    every record of the caller's teams and probed each id in the token lists.
    """
    selects = [
        sa.select(NameToken.record_id).where(
            NameToken.token >= token, NameToken.token < token + PREFIX_END
        )
        for token in query_tokens(q)[:8]
    ]
    if not selects:
        return None
    ids = sa.intersect(*selects) if len(selects) > 1 else selects[0].distinct()
    return ids.subquery("name_match")


def list_records(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """One page of the records the caller may read, newest change first."""
    where: list[sa.ColumnElement[bool]] = [readable_clause(principal), Record.kind != ""]
    if not args.get("include_deleted"):
        where.append(Record.visible.is_(True))
    for name in EQUALITY_FILTERS:
        if args.get(name) is not None:
            where.append(getattr(Record, name) == args[name])
    if args.get("assigned_to"):
        who = args["assigned_to"]
        where.append(Record.assigned_to == (principal.user.id if who == "me" else who))  # type: ignore[union-attr]
    if args.get("date_from"):
        where.append(Record.occurred_end >= args["date_from"].isoformat())
    if args.get("date_to"):
        where.append(Record.occurred_start <= args["date_to"].isoformat())
    if args.get("updated_since") is not None:
        where.append(Record.updated_seq > args["updated_since"])
    if args.get("place"):
        place = db.session.get(Place, args["place"])
        if place is None:
            raise ApiError(422, "Unknown place.", fields={"place": ["Unknown place."]})
        where.append(Record.place_path.startswith(place.path, autoescape=True))
    source: sa.FromClause = Record.__table__
    if args.get("q"):
        match = name_match_ids(args["q"])
        if match is not None:
            source = _MatchesFirst(match, Record.__table__, Record.id == match.c.record_id)
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(source).where(*where))
    rows = db.session.scalars(
        sa.select(Record)
        .select_from(source)
        .where(*where)
        .order_by(Record.updated_seq.desc(), Record.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return {"records": rows, "total": total or 0, "page": page, "per_page": per_page}
