"""Engine set-up that differs per database: SQLite pragmas and write transactions."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask

from app.extensions import db


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin) instead of pysqlite's own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # The background checkpointer below keeps the WAL short; this is only the backstop
    # for when it falls behind (a long export reading an old snapshot).
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cursor.close()


# SQLite has one writer at a time. Writers of this process queue on a lock of their own
# before `BEGIN IMMEDIATE`, so fifty devices pushing at once wait in line in Python
# instead of spinning in SQLite's busy handler, where one that waited longer than
# busy_timeout failed with "database is locked". Other processes (the CLI) still meet
# the busy timeout. A writer that waited this long goes on to SQLite's own wait.
WRITE_QUEUE_TIMEOUT = 120.0
_HELD = "tawthiq_write_queue"


class WriteQueue:
    """The process-wide turn to write one SQLite database (a lock that knows its holder)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.holder: int | None = None

    def acquire(self, timeout: float) -> bool:
        """Wait for the turn; False when this thread holds it already (through another
        connection: waiting would wait for itself) or after `timeout` seconds."""
        if self.holder == threading.get_ident():
            return False
        if not self._lock.acquire(timeout=timeout):
            return False
        self.holder = threading.get_ident()
        return True

    def release(self) -> None:
        """Give the turn to the next writer."""
        self.holder = None
        self._lock.release()


_queues: dict[str, WriteQueue] = {}
_queues_guard = threading.Lock()


def write_queue(url: str) -> WriteQueue:
    """The queue of writers of one SQLite database in this process."""
    with _queues_guard:
        return _queues.setdefault(url, WriteQueue())


def _sqlite_begin(conn: sa.engine.Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    # instead of one failing with "database is locked" when it upgrades a read lock.
    writer = conn.get_execution_options().get("tawthiq_write")
    if not writer:
        conn.exec_driver_sql("BEGIN")
        return
    path = _file_of(conn)
    if path:
        conn.info[_WROTE] = path  # checkpoint once this write transaction has ended
    if _HELD not in conn.info:  # this connection does not hold the turn already
        queue = write_queue(conn.engine.url.render_as_string(hide_password=True))
        if queue.acquire(WRITE_QUEUE_TIMEOUT):
            conn.info[_HELD] = queue
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release(conn.info)
        raise


def _release(info: dict[Any, Any]) -> None:
    queue = info.pop(_HELD, None)
    if queue is not None:
        queue.release()


# SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold: the
# writer then copies the WAL into the database file and waits for fsync while it holds
# the write turn, and a 500-change push writes several thousand pages, so nearly every
# push paid for one. Instead a thread per database file runs PASSIVE checkpoints after
# write commits, on its own connection, without the write lock and outside the GIL
# (SQLite's C code), so the copy overlaps the next request on the other core.
BACKSTOP_PAGES = 16384
CHECKPOINT_IDLE_EXIT = 30.0


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on one SQLite file when poked after a write.

    Its thread starts on the first poke and ends after `CHECKPOINT_IDLE_EXIT` seconds
    without one, so short-lived apps (tests, CLI commands) leave no thread behind for long.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._wake = threading.Event()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def poke(self) -> None:
        """Ask for a checkpoint soon (a write transaction has just committed)."""
        self._wake.set()
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="tawthiq-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            if not self._wake.wait(CHECKPOINT_IDLE_EXIT):
                with self._guard:
                    if not self._wake.is_set():
                        self._thread = None
                        return
            self._wake.clear()
            self.checkpoint()

    def checkpoint(self) -> None:
        """One PASSIVE checkpoint: copies what no reader still needs, never waits."""
        try:
            # mode=rw: never create the file (the app may have removed its data folder).
            con = sqlite3.connect(f"file:{quote(self.path)}?mode=rw", uri=True, timeout=0)
        except sqlite3.Error:
            return
        try:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error:
            pass  # busy or gone: the next poke (or the backstop) does it
        finally:
            con.close()


_checkpointers: dict[str, Checkpointer] = {}


def checkpointer(path: str) -> Checkpointer:
    """The checkpointer of one SQLite database file in this process."""
    with _queues_guard:
        return _checkpointers.setdefault(path, Checkpointer(path))


_WROTE = "tawthiq_checkpoint_after"


def _file_of(conn: sa.engine.Connection) -> str | None:
    path = conn.engine.url.database
    return path if path and path != ":memory:" and not path.startswith("file:") else None


def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    # The write transaction has ended (committed or rolled back) when its connection goes
    # back to the pool: the next writer may start, and its pages may be checkpointed.
    _release(record.info)
    path = record.info.pop(_WROTE, None)
    if path:
        checkpointer(path).poke()


def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any = None) -> None:
    _release(record.info)


def configure_engine(engine: sa.engine.Engine) -> None:
    """Attach per-dialect hooks to an engine (the app's, alembic's, or a test's)."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        sa.event.listen(engine.pool, "checkin", _on_checkin)
        sa.event.listen(engine.pool, "invalidate", _on_invalidate)
        sa.event.listen(engine.pool, "soft_invalidate", _on_invalidate)


def begin_write() -> None:
    """Start the session's next transaction as a writer.

    On SQLite that is BEGIN IMMEDIATE (the write lock up front); on PostgreSQL a plain
    transaction, where writers lock the rows they touch. Whatever the session was reading
    is committed first (a read transaction cannot be upgraded safely on SQLite).
    """
    if db.session().in_transaction():
        db.session.commit()
    db.session.connection(execution_options={"tawthiq_write": True})


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and configure its engine."""
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
