"""Writers of one process queue for SQLite's single write lock in Python.

Fifty devices pushing at once used to wait in SQLite's busy handler, and one that waited
longer than `busy_timeout` failed with "database is locked". Here the busy timeout is cut
to 50 ms: writers that each hold the database for 300 ms all succeed, one after another,
because they wait for their turn before `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.database import configure_engine, write_queue


def _engine(path: Path) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{path}", pool_size=10)
    configure_engine(engine)

    @sa.event.listens_for(engine, "connect")
    def short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    with engine.connect() as conn:
        conn.execution_options(tawthiq_write=True)
        with conn.begin():
            conn.exec_driver_sql("CREATE TABLE marks (writer INTEGER, at REAL)")
    return engine


def _write(engine: sa.engine.Engine, writer: int, hold: float) -> None:
    with engine.connect() as conn:
        conn.execution_options(tawthiq_write=True)
        with conn.begin():
            conn.exec_driver_sql("INSERT INTO marks VALUES (?, ?)", (writer, time.monotonic()))
            time.sleep(hold)


def test_concurrent_writers_wait_their_turn_instead_of_failing(tmp_path: Path) -> None:
    """Six writers holding the database 300 ms each, busy timeout 50 ms: none fails."""
    engine = _engine(tmp_path / "queue.db")
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        try:
            _write(engine, writer, 0.3)
        except BaseException as exc:  # collected: asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        marks = conn.exec_driver_sql("SELECT writer, at FROM marks ORDER BY at").all()
    engine.dispose()
    assert errors == []
    assert sorted(w for w, _at in marks) == list(range(6))
    # One after another: each started after the previous one's 300 ms hold.
    gaps = [b - a for (_w1, a), (_w2, b) in itertools.pairwise(marks)]
    assert min(gaps) >= 0.25


def test_a_writer_from_another_process_still_meets_the_busy_timeout(tmp_path: Path) -> None:
    """The queue is this process's: a foreign connection is refused by SQLite as before,
    and the turn is given back when the transaction ends."""
    engine = _engine(tmp_path / "queue.db")
    queue = write_queue(engine.url.render_as_string(hide_password=True))
    with engine.connect() as conn:
        conn.execution_options(tawthiq_write=True)
        with conn.begin():
            assert queue.holder == threading.get_ident()
            other = sqlite3.connect(tmp_path / "queue.db", timeout=0.05)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO marks VALUES (9, 0)")
            other.close()
    assert queue.holder is None
    _write(engine, 1, 0)  # the turn is free again
    engine.dispose()


def test_a_thread_holding_the_turn_is_not_made_to_wait_for_itself(tmp_path: Path) -> None:
    """A second writing connection in the same thread gets SQLite's answer (locked) at
    once instead of waiting for a turn that only it can give back."""
    engine = _engine(tmp_path / "queue.db")
    with engine.connect() as first:
        first.execution_options(tawthiq_write=True)
        with first.begin():
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                _write(engine, 2, 0)
            assert time.monotonic() - started < 5
    engine.dispose()
