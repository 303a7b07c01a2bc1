"""A push that PostgreSQL aborts in a deadlock is written again, not failed.

Another transaction holds one of the batch's records and then asks for one the push has
locked: a real lock cycle, which PostgreSQL breaks by aborting the push's transaction
(its deadlock check runs first: it has waited longer and the other's check is set far
off). The device still gets every change accepted, stored once.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from support.sync_clients import Phone

from app.extensions import db
from app.models import ChangeRow, Record


@pytest.fixture
def team(make_team):
    return make_team("Khaldiyeh council")


def _waiting_on_a_lock() -> int:
    count = db.session.scalar(
        sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
    )
    db.session.rollback()
    return int(count or 0)


def test_a_push_aborted_in_a_deadlock_is_written_again(app: Any, login_as: Any, team: Any):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its writes never meet in a lock cycle")
    coordinator = login_as("coordinator", team)
    phone = Phone(coordinator, app.test_client())
    first, second = sorted(str(uuid.uuid4()) for _ in range(2))  # locked in this order
    for rid in (first, second):
        phone.replica.write(
            rid, "incident", "create", {"team_id": team.id, "event_type": "armed_clash"}
        )
    phone.sync()
    edits = [
        phone.replica.write(rid, "incident", "patch", {"killed_max": 4}) for rid in (first, second)
    ]

    other = db.engine.connect()
    # SET (not LOCAL) lasts for the session; the push's own check then fires first.
    other.exec_driver_sql("SET deadlock_timeout = '20s'")
    other.execute(sa.text("SELECT id FROM records WHERE id = :id FOR UPDATE"), {"id": second})

    answer: list[Any] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            answer.extend(phone.transport.push(edits))
        except BaseException as exc:  # asserted below
            errors.append(exc)

    pusher = threading.Thread(target=send)
    pusher.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock():  # the push holds `first` and waits for `second`
        assert time.monotonic() < deadline and pusher.is_alive(), errors
        time.sleep(0.05)
    # Now ask for `first`: a cycle. PostgreSQL aborts the push, whose locks go, so this
    # goes through; the push, written again, waits for this commit and then succeeds.
    other.execute(sa.text("SELECT id FROM records WHERE id = :id FOR UPDATE"), {"id": first})
    other.commit()
    other.close()
    pusher.join(60)

    assert errors == []
    assert [r.status for r in answer] == ["accepted", "accepted"]
    db.session.expire_all()
    stored = db.session.scalars(
        sa.select(ChangeRow.op_id).where(ChangeRow.op_id.in_([c.op_id for c in edits]))
    ).all()
    assert sorted(stored) == sorted(c.op_id for c in edits)  # once each
    for rid in (first, second):
        assert db.session.get(Record, rid).state["values"]["killed_max"] == 4
