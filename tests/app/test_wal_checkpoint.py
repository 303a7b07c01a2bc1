"""Write transactions leave the WAL copy to a background checkpointer.

SQLite's own automatic checkpoint runs inside the COMMIT that crosses its threshold,
while the writer holds the write turn: a 500-change push paid for copying the WAL into
the database file. Now the commit returns with its pages in the WAL, and a thread of the
process copies them soon after; the WAL never grows without bound.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.database import BACKSTOP_PAGES, Checkpointer, checkpointer, configure_engine


def _engine(path: Path) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    configure_engine(engine)
    return engine


def _write(engine: sa.engine.Engine, sql: str, rows: list[tuple[object, ...]]) -> None:
    with engine.connect() as conn:
        conn.execution_options(tawthiq_write=True)
        with conn.begin():
            if rows:
                conn.exec_driver_sql(sql, rows)
            else:
                conn.exec_driver_sql(sql)


def test_large_write_commits_without_copying_and_is_copied_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wal.db"
    engine = _engine(path)
    _write(engine, "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)", [])
    with engine.connect() as conn:  # the pragmas every connection of the app gets
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    # Hold the background copy until the commit has been looked at.
    go = threading.Event()
    real = Checkpointer.checkpoint

    def held(self: Checkpointer) -> None:
        go.wait(10)
        real(self)

    monkeypatch.setattr(Checkpointer, "checkpoint", held)
    # ~3,000 pages in one transaction: SQLite's default threshold (1,000) would have
    # made this COMMIT copy them into the database file itself.
    _write(engine, "INSERT INTO t (body) VALUES (?)", [("x" * 3000,) for _ in range(4000)])
    assert _rows_in_file(path) == 0  # committed: in the WAL, not copied by the writer
    assert _uncopied_frames_seen(path) > 3000
    go.set()
    deadline = time.monotonic() + 10
    while _rows_in_file(path) != 4000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _rows_in_file(path) == 4000, "the background checkpointer never copied the WAL"
    assert checkpointer(str(path)).runs >= 1
    engine.dispose()


def _uncopied_frames_seen(path: Path) -> int:
    """Frames in the WAL, read from its size (no checkpoint is run to count them)."""
    return (path.with_name(path.name + "-wal").stat().st_size - 32) // (4096 + 24)


def _rows_in_file(path: Path) -> int:
    """Rows the database file itself holds, the WAL ignored (`immutable` reads the file
    alone): what has been checkpointed; -1 while a checkpoint is half-way through it."""
    con = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(con.execute("SELECT count(*) FROM t").fetchone()[0])
    except sqlite3.DatabaseError:
        return -1
    finally:
        con.close()
