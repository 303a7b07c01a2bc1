"""The alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from support.postgres import fresh_database

import app.models  # noqa: F401  (registers every table)
from app import migrate
from app.database import configure_engine
from app.extensions import db


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    from conftest import need_postgres

    admin = need_postgres(request.getfixturevalue("postgres_admin_url"))
    with fresh_database(admin) as url:
        yield url


def _diff(url: str) -> list[object]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    configure_engine(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def test_upgrade_from_empty_matches_models(empty_database: str) -> None:
    """Upgrading an empty database to head yields exactly the tables the models declare."""
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == set(db.metadata.tables)
    assert _diff(empty_database) == []


def test_downgrade_then_upgrade(empty_database: str) -> None:
    """Migrations undo cleanly to an empty database and apply again."""
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) == set()
    migrate.upgrade(empty_database)
    assert _diff(empty_database) == []
