"""The paged scan under every export: each record once, in (updated_seq, id) order, across
page boundaries and ties, and each page's index range starting where the last one ended
(a page that walked the team's rows from the first made a million-record export quadratic)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.exports.stream import Scope, scan
from app.extensions import db
from app.models import Record

CASUALTY = {
    "kind": "casualty",
    "outcome": "killed",
    "sex": "male",
    "civilian_status": "civilian",
    "cause": "shelling_artillery",
    "occurred_date": "2026-01-15",
}


def _scope(team_id: str) -> Scope:
    return Scope(team_id=team_id, kinds=("casualty",), until_seq=10**12, timestamps=False)


def test_pages_cover_every_record_once_in_order_even_on_ties(login_as, make_team):
    """Seven records, three sharing one sequence number: pages of two give all seven once."""
    team = make_team()
    coordinator = login_as("coordinator", team)
    ids = []
    for i in range(7):
        r = coordinator.post("/api/v1/records", json={**CASUALTY, "count": i + 1})
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    tied = sorted(ids)[2:5]
    db.session.execute(sa.update(Record).where(Record.id.in_(tied)).values(updated_seq=10**6))
    db.session.commit()
    rows = list(scan(_scope(team.id), batch=2))
    got = [(row.updated_seq, row.id) for row in rows]
    assert got == sorted(got)
    assert sorted(row.id for row in rows) == sorted(ids)
    assert [row.values["count"] for row in rows if row.id in tied]  # values decoded
    assert rows[0].updated_at is None  # timestamps not read when the profile needs none


def test_a_later_page_starts_its_index_range_at_the_last_page(app, login_as, make_team):
    """SQLite's plan for a second page bounds updated_seq from below (`updated_seq>?`)."""
    team = make_team()
    coordinator = login_as("coordinator", team)
    for i in range(3):
        assert coordinator.post("/api/v1/records", json={**CASUALTY, "count": i + 1}).status_code
    seen: list[tuple[str, Any]] = []

    def log(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "FROM records" in statement:
            seen.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", log)
    try:
        assert len(list(scan(_scope(team.id), batch=2))) == 3
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", log)
    assert len(seen) == 2
    statement, params = seen[1]
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans differ with table size; the SQL is the same
    raw = db.engine.raw_connection()
    try:
        plan = " ".join(str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + statement, params))
    finally:
        raw.close()
    assert "ix_records_team_updated" in plan
    assert "updated_seq>?" in plan, plan
