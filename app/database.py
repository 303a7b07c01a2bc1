"""Engine set-up that differs per database: SQLite pragmas and write transactions."""

from __future__ import annotations

from typing import Any

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
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def _sqlite_begin(conn: sa.engine.Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    # instead of one failing with "database is locked" when it upgrades a read lock.
    writer = conn.get_execution_options().get("tawthiq_write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def configure_engine(engine: sa.engine.Engine) -> None:
    """Attach per-dialect hooks to an engine (the app's, alembic's, or a test's)."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)


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
