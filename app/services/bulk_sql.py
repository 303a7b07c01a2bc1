"""Bulk inserts and updates for the hot path of a write, at the database driver's pace.

A push of 500 changes stores about 500 change rows, 500 record rows and a few thousand
name tokens. Through SQLAlchemy's executemany each row's parameters are rebuilt from a
dict and passed through every bind processor, which cost as much as SQLite's own work.
On SQLite these helpers compile the Core statement once, convert each column with the
bind processor SQLAlchemy itself would use (once per distinct object: a batch shares one
timestamp), and hand plain tuples to the driver's executemany. On PostgreSQL they are
plain Core executemany calls. Every row of one call must have the same keys.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from app.extensions import db

Processor = Callable[[Any], Any] | None
KEY = "b_key"


@functools.lru_cache(maxsize=64)
def _compiled(
    table: sa.Table, names: tuple[str, ...], key: str | None, dialect: sa.engine.Dialect
) -> tuple[str, Any] | None:
    """(SQL text, (name, bind processor) per positional parameter) of an insert or
    update; None when the statement needs values the rows do not give."""
    if key is None:
        stmt: Any = sa.insert(table).values({n: sa.bindparam(n) for n in names})
    else:
        stmt = (
            sa.update(table)
            .where(table.c[key] == sa.bindparam(KEY))
            .values({n: sa.bindparam(n) for n in names if n != key})
        )
    compiled = stmt.compile(dialect=dialect)
    order = compiled.positiontup or ()
    if set(order) - {*names, KEY}:
        return None  # a column default to compute per row: leave it to SQLAlchemy
    columns = [table.c[key if p == KEY else p] for p in order]
    procs = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    return compiled.string, tuple(zip(order, procs, strict=True))


def _tuples(rows: Sequence[dict[str, Any]], plan: Any, key: str | None) -> list[tuple[Any, ...]]:
    columns = []
    for name, proc in plan:
        values = [row[key if name == KEY else name] for row in rows]
        if proc is not None:
            memo: dict[int, Any] = {}
            out = []
            for v in values:
                if v is None:
                    out.append(None)
                    continue
                if id(v) not in memo:
                    memo[id(v)] = proc(v)
                out.append(memo[id(v)])
            values = out
        columns.append(values)
    return list(zip(*columns, strict=True))


def _many(table: sa.Table, rows: Sequence[dict[str, Any]], key: str | None) -> None:
    if not rows:
        return
    conn = db.session.connection()
    names = tuple(rows[0])
    ready = _compiled(table, names, key, conn.dialect) if conn.dialect.name == "sqlite" else None
    if ready is None:
        if key is None:
            conn.execute(table.insert(), list(rows))
        else:
            stmt = (
                sa.update(table)
                .where(table.c[key] == sa.bindparam(KEY))
                .values({n: sa.bindparam(n) for n in names if n != key})
            )
            conn.execute(stmt, [{**r, KEY: r[key]} for r in rows])
        return
    sql, plan = ready
    conn.exec_driver_sql(sql, _tuples(rows, plan, key))


def insert_many(table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (dicts with the same keys) in one executemany."""
    _many(table, rows, None)


def update_many(table: sa.Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE, for each dict, the row whose `key` column equals the dict's `key` value, to
    the dict's other values (dicts with the same keys), in one executemany."""
    _many(table, rows, key)
