"""Reading records: the filtered, paginated list and name search.

Filters use the typed, indexed columns of the records cache; name search uses the
normalised name-token table, never a scan of the records. Pages are newest change first;
totals are counted up to TOTAL_CAP (past it a page says "more than 1,000"), and
`next_after` is a keyset cursor for the next page. See docs/records-speed.md.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
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
# Totals are counted up to this many; past it a page says "more than TOTAL_CAP".
TOTAL_CAP = 1000
# A query token is "broad" at this many name tokens: another token drives the search.
BROAD = 20_000
# The index that serves "newest first" (see models/records.py).
UPDATED_INDEX = "ix_records_updated"


def _prefix(table: sa.FromClause, token: str) -> sa.ColumnElement[bool]:
    """`token` as a prefix of `table.token`: a range on the token index."""
    return sa.and_(table.c.token >= token, table.c.token < token + PREFIX_END)


def _has_token(record_id: sa.ColumnElement[str], token: str, n: int) -> sa.ColumnElement[bool]:
    """The record has a name token starting with `token` (one probe of the
    (record_id, token) index)."""
    probe = NameToken.__table__.alias(f"probe{n}")
    return sa.exists().where(probe.c.record_id == record_id, _prefix(probe, token))


def name_match(q: str) -> sa.ColumnElement[bool] | None:
    """A clause matching records whose names contain every token of `q` as a prefix."""
    clauses = [_has_token(Record.id, token, n) for n, token in enumerate(query_tokens(q)[:8])]
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
    marker = " AS name_match JOIN "
    assert marker in text, text
    return text.replace(marker, " AS name_match CROSS JOIN ", 1)


def _sqlite_from_hint(compiler: Any, table: sa.FromClause, text: str | None) -> str | None:
    # SQLAlchemy drops `with_hint` text on SQLite; render it after the table name, where
    # SQLite reads INDEXED BY. Only statements that carry a SQLite hint are affected.
    return text


SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign,assignment]


def _breadth(token: str) -> int:
    """How many name tokens start with `token`, counted up to BROAD (an index-only scan
    of at most BROAD entries)."""
    nt = NameToken.__table__
    capped = sa.select(sa.literal(1)).select_from(nt).where(_prefix(nt, token)).limit(BROAD)
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(capped.subquery())) or 0)


def name_matches(q: str) -> tuple[sa.FromClause, list[sa.ColumnElement[bool]], int] | None:
    """Records matching `q`, driven by its narrowest token: (FROM, extra WHERE clauses,
    the driver's breadth capped at BROAD).

    The FROM walks the narrowest token's prefix range on the token index joined to the
    records; every other token is one probe of the (record_id, token) index. A record
    whose names hold several tokens in the driver's range ("مح": محمد and محمود) is kept
    once, at its lowest such token, so no DISTINCT is needed and a LIMIT stops the walk
    early (the capped count reads ~1,000 matches, not all 200,000 of a common name).
    """
    tokens = query_tokens(q)[:8]
    if not tokens:
        return None
    breadth = {t: _breadth(t) for t in tokens}
    driver = min(tokens, key=lambda t: breadth[t])
    nt = NameToken.__table__.alias("name_match")
    lower = NameToken.__table__.alias("lower_match")
    where = [
        _prefix(nt, driver),
        ~sa.exists().where(
            lower.c.record_id == nt.c.record_id,
            lower.c.token >= driver,
            lower.c.token < nt.c.token,
        ),
    ]
    where += [_has_token(nt.c.record_id, t, n) for n, t in enumerate(tokens) if t != driver]
    return _MatchesFirst(nt, Record.__table__, Record.id == nt.c.record_id), where, breadth[driver]


def _newest_first(where: list[sa.ColumnElement[bool]], q: str) -> sa.Select[Any]:
    """Records matching `q`, walked newest first on the (updated_seq, id) index, each
    probed for its tokens: for names so common that the first page is near the top."""
    match = name_match(q)
    stmt = sa.select(Record).where(*where)
    if match is not None:
        stmt = stmt.where(match)
    return stmt.with_hint(Record, f"INDEXED BY {UPDATED_INDEX}", "sqlite")


def _capped_count(source: sa.FromClause, where: list[sa.ColumnElement[bool]]) -> int:
    """The number of rows, counted up to TOTAL_CAP + 1 (the walk stops there)."""
    capped = sa.select(sa.literal(1)).select_from(source).where(*where).limit(TOTAL_CAP + 1)
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(capped.subquery())) or 0)


def parse_cursor(cursor: str) -> tuple[int, str]:
    """`next_after` of a page ("<updated_seq>.<id>") as a keyset position, or 422."""
    seq, _, rid = cursor.partition(".")
    if not seq.isdigit() or not rid:
        raise ApiError(422, "Not a cursor.", fields={"after": ["Use next_after of a page."]})
    return int(seq), rid


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
    match_where: list[sa.ColumnElement[bool]] = []
    driver_breadth = BROAD  # no search: every record "matches"
    if args.get("q"):
        matches = name_matches(args["q"])
        if matches is not None:
            source, match_where, driver_breadth = matches
    total = _capped_count(source, where + match_where)
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    offset = (page - 1) * per_page
    keyset: list[sa.ColumnElement[bool]] = []
    if args.get("after"):
        seq, rid = parse_cursor(args["after"])
        offset = 0
        keyset.append(
            sa.or_(Record.updated_seq < seq, sa.and_(Record.updated_seq == seq, Record.id < rid))
        )
    if total > TOTAL_CAP and driver_breadth >= BROAD:
        # Very many matches of a broad name: walk the newest first on the index (probing
        # each record's name tokens) and stop at the page; sorting them all took seconds.
        # (Under BROAD driver tokens, reading and sorting them all costs less than a walk
        # that must pass many records to find a page of a thinner match.)
        stmt = _newest_first(where + keyset, args.get("q") or "")
    else:
        # At most TOTAL_CAP matches, or a driver under BROAD: read them all and sort.
        stmt = sa.select(Record).select_from(source).where(*where, *match_where, *keyset)
    rows = db.session.scalars(
        stmt.order_by(Record.updated_seq.desc(), Record.id.desc())
        .offset(offset)
        .limit(per_page + 1)
    ).all()
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    last = rows[-1] if rows and has_more else None
    return {
        "records": rows,
        "total": min(total, TOTAL_CAP),
        "total_exact": total <= TOTAL_CAP,
        "has_more": has_more,
        "next_after": f"{last.updated_seq}.{last.id}" if last is not None else None,
        "page": page,
        "per_page": per_page,
    }
